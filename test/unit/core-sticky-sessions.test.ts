/**
 * no-sticky-sessions beyond socket.io: SockJS (a session opened afresh by a second server,
 * sends refused 404) and SignalR's negotiate-then-connect (a negotiated token refused by the
 * server the connection reached), as the capture shows them.
 */
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/core/index.ts';
import type { ChannelReport, Report } from '../../src/core/report-types.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

const sticky = (c: ChannelReport) => c.findings.filter((f) => f.code === 'no-sticky-sessions');
const channelsWithFinding = (report: Report) => report.channels.filter((c) => sticky(c).length > 0).map((c) => c.url);

describe('no-sticky-sessions on SockJS', () => {
  const base = 'https://app.example/echo/123/k3jx9qwe';

  it('a second open frame on one session: a server that did not know it opened it afresh', () => {
    const b = new CaptureBuilder();
    b.http({ at: T0, url: 'https://app.example/echo/info?t=1', body: '{"websocket":false,"cookie_needed":false,"origins":["*:*"],"entropy":1}' });
    b.http({ at: T0 + 20, transport: 'xhr', method: 'POST', url: `${base}/xhr`, body: 'o\n' });
    b.http({ at: T0 + 60, transport: 'xhr', method: 'POST', url: `${base}/xhr`, body: 'o\n' });
    const report = analyzeCapture(b.sorted());
    const receive = report.channels.find((c) => c.url.endsWith('/xhr'))!;
    expect(sticky(receive)).toHaveLength(1);
    expect(sticky(receive)[0]!.evidence).toMatchObject({ reopenedSessions: 1 });
    expect(sticky(receive)[0]!.message).toMatch(/Server lost session/);
  });

  it('a send answered 404: the server did not know the session', () => {
    const b = new CaptureBuilder();
    b.http({ at: T0, transport: 'xhr', method: 'POST', url: `${base}/xhr`, body: 'o\n' });
    b.http({ at: T0 + 50, transport: 'xhr', method: 'POST', url: `${base}/xhr_send`, status: 404, body: '' });
    const report = analyzeCapture(b.sorted());
    expect(channelsWithFinding(report)).toEqual(['https://app.example/echo/:server/:session/xhr_send']);
    expect(sticky(report.channels.find((c) => c.url.endsWith('/xhr_send'))!)[0]!.evidence).toMatchObject({ rejected: 1, status: 404 });
  });

  it('a healthy session, and one open per new session, raise nothing', () => {
    const b = new CaptureBuilder();
    b.http({ at: T0, transport: 'xhr', method: 'POST', url: `${base}/xhr`, body: 'o\n' });
    b.http({ at: T0 + 50, transport: 'xhr', method: 'POST', url: `${base}/xhr`, body: 'a["hello"]\n' });
    b.http({ at: T0 + 60, transport: 'xhr', method: 'POST', url: `${base}/xhr_send`, status: 204, body: '' });
    b.http({ at: T0 + 25_100, transport: 'xhr', method: 'POST', url: `${base}/xhr`, body: 'h\n' });
    b.http({ at: T0 + 30_000, transport: 'xhr', method: 'POST', url: 'https://app.example/echo/456/other123/xhr', body: 'o\n' });
    expect(channelsWithFinding(analyzeCapture(b.sorted()))).toEqual([]);
  });
});

describe('no-sticky-sessions on SignalR negotiate-then-connect', () => {
  const negotiate = (b: CaptureBuilder, at: number, token: string) =>
    b.http({ at, method: 'POST', url: 'https://app.example/hub/negotiate?negotiateVersion=1', body: JSON.stringify({ negotiateVersion: 1, connectionId: `c-${token}`, connectionToken: token, availableTransports: [] }) });
  const failedSocket = (b: CaptureBuilder, at: number, token: string) => {
    const c = b.wsCreate(at, `wss://app.example/hub?id=${token}`);
    b.wsError(at + 5, c);
    b.wsClose(at + 6, c, 1006, '', 'server');
  };

  it('the WebSocket and the long-poll each carry a fresh token and are refused: both channels named once', () => {
    const b = new CaptureBuilder();
    negotiate(b, T0, 'tokenaaaaaaaaaaaaaaaaa');
    failedSocket(b, T0 + 30, 'tokenaaaaaaaaaaaaaaaaa');
    negotiate(b, T0 + 60, 'tokenbbbbbbbbbbbbbbbbb');
    b.http({ at: T0 + 90, url: 'https://app.example/hub?id=tokenbbbbbbbbbbbbbbbbb&_=1', status: 404, body: 'No Connection with that ID', contentType: 'text/plain' });
    const report = analyzeCapture(b.sorted());
    expect(channelsWithFinding(report).sort()).toEqual(['https://app.example/hub?id=tokenbbbbbbbbbbbbbbbbb', 'wss://app.example/hub?id=tokenaaaaaaaaaaaaaaaaa']);
    const ws = report.channels.find((c) => c.transport === 'websocket')!;
    expect(sticky(ws)[0]!.evidence).toMatchObject({ negotiatedRefused: 1 });
    for (const c of report.channels) expect(sticky(c).length).toBeLessThanOrEqual(1);
  });

  it('some WebSockets with negotiated tokens open and others fail before opening: named', () => {
    const b = new CaptureBuilder();
    const tokens = ['qwertyuiopasdfghjklzxc', 'mnbvcxzlkjhgfdsapoiuyt', 'plokijuhygtfrdeswaqzxc'];
    tokens.forEach((token, i) => {
      negotiate(b, T0 + i * 2000, token);
      if (i < 2) failedSocket(b, T0 + i * 2000 + 30, token);
      else b.wsOpen(T0 + i * 2000 + 40, b.wsCreate(T0 + i * 2000 + 30, `wss://app.example/hub?id=${token}`));
    });
    const report = analyzeCapture(b.sorted());
    const ws = report.channels.filter((c) => c.transport === 'websocket');
    expect(ws).toHaveLength(1);
    expect(sticky(ws[0]!)[0]!.evidence).toMatchObject({ negotiatedRefused: 2, negotiatedConnections: 3 });
  });

  it('every WebSocket failing before open, with nothing else refused, is not enough (an upgrade blocked on the way looks the same)', () => {
    const b = new CaptureBuilder();
    negotiate(b, T0, 'tokenaaaaaaaaaaaaaaaaa');
    failedSocket(b, T0 + 30, 'tokenaaaaaaaaaaaaaaaaa');
    negotiate(b, T0 + 2000, 'tokenbbbbbbbbbbbbbbbbb');
    failedSocket(b, T0 + 2030, 'tokenbbbbbbbbbbbbbbbbb');
    expect(channelsWithFinding(analyzeCapture(b.sorted()))).toEqual([]);
  });

  it('a 404 on an id no negotiate handed out is not this finding', () => {
    const b = new CaptureBuilder();
    b.http({ at: T0, url: 'https://app.example/items?id=42', status: 404, body: 'gone' });
    expect(channelsWithFinding(analyzeCapture(b.sorted()))).toEqual([]);
  });
});
