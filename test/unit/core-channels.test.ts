import { describe, expect, it } from 'vitest';
import { channelKey, normalizeEndpoint } from '../../src/core/channels.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

describe('endpoint normalisation', () => {
  it('folds numeric ids, UUIDs, hex hashes, dates and tokens in the path', () => {
    expect(normalizeEndpoint('https://api.example/users/42/messages')).toBe('https://api.example/users/:n/messages');
    expect(normalizeEndpoint('https://api.example/rooms/3f2504e0-4f89-11d3-9a0c-0305e82c3301/feed')).toBe('https://api.example/rooms/:uuid/feed');
    expect(normalizeEndpoint('https://cdn.example/build/a3f9c2d41b7e/app.json')).toBe('https://cdn.example/build/:hash/app.json');
    expect(normalizeEndpoint('https://api.example/days/2026-11-24/stats')).toBe('https://api.example/days/:date/stats');
    expect(normalizeEndpoint('https://api.example/s/Zx81kPq0aLm3Nw7v/poll')).toBe('https://api.example/s/:token/poll');
  });

  it('keeps words, drops cache-busters and folds query values, independent of key order', () => {
    expect(normalizeEndpoint('https://api.example/updates?since=1700000000000&_=1700000000123&room=general')).toBe(
      'https://api.example/updates?room=general',
    );
    expect(normalizeEndpoint('https://api.example/updates?room=general&page=3')).toBe(normalizeEndpoint('https://api.example/updates?page=7&room=general'));
    expect(normalizeEndpoint('https://API.example/a#frag')).toBe('https://api.example/a');
  });

  it('folds a SignalR connection token that happens to hold no digit, and keeps words in query values', () => {
    // ASP.NET Core SignalR: ?id= carries 16 random bytes as 22 base64url characters.
    expect(normalizeEndpoint('wss://app.example/hub?id=kPqZxWvTrLmNbGhJyUoIeA')).toBe(normalizeEndpoint('wss://app.example/hub?id=a1B2c3D4e5F6g7H8i9J0kL'));
    expect(normalizeEndpoint('wss://app.example/hub?id=kPqZxWvTrLmNbGhJyUoIeA')).toBe('wss://app.example/hub?id=:token');
    expect(normalizeEndpoint('https://api.example/feed?view=notificationsummaryfeed')).toBe('https://api.example/feed?view=notificationsummaryfeed');
  });

  it('folds engine.io sid and t but keeps EIO and transport', () => {
    const handshake = 'https://chat.example/socket.io/?EIO=4&transport=polling&t=OqzX3b1';
    const poll = 'https://chat.example/socket.io/?EIO=4&transport=polling&t=OqzX5aa&sid=Nc2tNnYQk0fG3GBcAAAB';
    const upgrade = 'wss://chat.example/socket.io/?EIO=4&transport=websocket&sid=Nc2tNnYQk0fG3GBcAAAB';
    expect(normalizeEndpoint(handshake)).toBe(normalizeEndpoint(poll));
    expect(normalizeEndpoint(poll)).toBe('https://chat.example/socket.io/?EIO=4&transport=polling');
    expect(normalizeEndpoint(upgrade)).toBe('wss://chat.example/socket.io/?EIO=4&transport=websocket');
    // Receive (GET) and send (POST) of one engine.io session are one channel.
    expect(channelKey('xhr', poll, 'POST')).toBe(channelKey('xhr', handshake, 'GET'));
  });

  it('folds SockJS server and session ids', () => {
    expect(normalizeEndpoint('https://app.example/echo/123/abcdefgh/xhr_streaming')).toBe('https://app.example/echo/:server/:session/xhr_streaming');
    expect(normalizeEndpoint('https://app.example/echo/042/zyxwvuts/xhr_streaming')).toBe('https://app.example/echo/:server/:session/xhr_streaming');
  });

  it('separates methods on plain REST endpoints', () => {
    expect(channelKey('fetch', 'https://api.example/todos', 'GET')).not.toBe(channelKey('fetch', 'https://api.example/todos', 'POST'));
  });

  it('never throws on junk URLs', () => {
    expect(typeof normalizeEndpoint('not a url 123')).toBe('string');
    expect(typeof normalizeEndpoint('https://x/%E0%A4%A')).toBe('string');
  });
});

describe('channel grouping', () => {
  it('groups a socket.io polling session (handshake, GETs, POSTs) into one channel', () => {
    const b = new CaptureBuilder();
    b.http({ at: T0, transport: 'xhr', url: 'https://chat.example/socket.io/?EIO=4&transport=polling&t=P1', durationMs: 20, body: '0{"sid":"Nc2tNnYQk0fG3GBcAAAB","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}' });
    for (let i = 0; i < 5; i++) {
      b.http({ at: T0 + 30 + i * 25_010, transport: 'xhr', url: `https://chat.example/socket.io/?EIO=4&transport=polling&t=P${i + 2}&sid=Nc2tNnYQk0fG3GBcAAAB`, durationMs: 25_000, body: '2' });
      b.http({ at: T0 + 40 + i * 25_010, method: 'POST', transport: 'xhr', url: `https://chat.example/socket.io/?EIO=4&transport=polling&t=Q${i}&sid=Nc2tNnYQk0fG3GBcAAAB`, durationMs: 15, body: 'ok' });
    }
    const report = analyzeCapture(b.sorted());
    expect(report.channels).toHaveLength(1);
    expect(report.channels[0]!.requests).toBe(11);
    expect(report.channels[0]!.kind).toBe('long-polling');
  });

  it('makes a reconnecting WebSocket one channel', () => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 3; i++) {
      const c = b.wsCreate(T0 + i * 10_000, `wss://live.example/ws?token=eyJhbGciOiJIUzI1NiJ9x${i}abc123&client=web`);
      b.wsOpen(T0 + i * 10_000 + 50, c);
      b.wsMsg(T0 + i * 10_000 + 100, c, 'in', '{"type":"hello"}');
      b.wsClose(T0 + i * 10_000 + 5000, c, 1006, '', 'server');
    }
    const report = analyzeCapture(b.sorted());
    expect(report.channels).toHaveLength(1);
    expect(report.channels[0]!.connections).toBe(3);
    expect(report.channels[0]!.reconnects).toHaveLength(2);
  });
});
