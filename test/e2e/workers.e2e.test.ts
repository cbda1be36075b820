/**
 * Worker traffic through `audit`, with the built extension in real Chromium against a local
 * server (test/e2e/fixtures/workers-server.ts): a dedicated Worker's heartbeating WebSocket,
 * a SharedWorker used by two tabs, a Service Worker and a nested Worker that poll. Each must
 * be its own channel with its worker origin and the right kind; the page's own polling must be
 * captured once (by the page hooks), not again from the DevTools protocol.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { auditPage, type AuditRun } from '../../src/cli/audit-run.ts';
import { isCaptureEvent } from '../../src/core/guard.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { startWorkersServer, type WorkersServer } from './fixtures/workers-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/realtime-inspector.mjs');
const HEARTBEAT_MS = 2000;
const POLL_MS = 1000;
const DURATION_MS = 14_000;

let server: WorkersServer;
let session: InspectorSession;
let run: AuditRun;
/** What the second tab saw of the SharedWorker: how many pages it serves. */
let sharedClients = 0;

beforeAll(async () => {
  server = await startWorkersServer({ heartbeatMs: HEARTBEAT_MS, pollMs: POLL_MS });
  session = await launchInspector();
  const audit = auditPage(session, { url: `${server.url}/`, durationMs: DURATION_MS, faults: [] });
  // A second tab of the origin, while the audit records: the SharedWorker now serves both.
  await new Promise((r) => setTimeout(r, 3000));
  const other = await session.context.newPage();
  await other.goto(`${server.url}/`);
  await other.waitForFunction(() => (window as unknown as { __clients: number }).__clients >= 2, undefined, { timeout: 10_000 });
  sharedClients = await other.evaluate(() => (window as unknown as { __clients: number }).__clients);
  run = await audit;
  await other.close();
}, 90_000);

afterAll(async () => {
  await session?.close();
  await server?.close();
});

function describeChannels(channels: ChannelReport[]): string {
  return channels.map((c) => `${c.kind} ${c.sampleUrl} origin=${c.origin ? `${c.origin.kind}:${c.origin.url}` : 'page'} (${c.evidence})`).join('\n');
}

function channelOn(path: string): ChannelReport {
  const found = run.report.channels.filter((c) => new URL(c.sampleUrl).pathname === path);
  if (found.length !== 1) throw new Error(`${found.length} channels on ${path}:\n${describeChannels(run.report.channels)}`);
  return found[0]!;
}

describe('audit captures workers', () => {
  it('the dedicated worker’s WebSocket is a websocket channel with its heartbeat measured', () => {
    const ws = channelOn('/socket');
    expect(ws.origin).toEqual({ kind: 'dedicated', url: `${server.url}/dedicated.js` });
    expect(ws.kind).toBe('websocket');
    expect(ws.transport).toBe('websocket');
    // A ping every 2 s for ~14 s, each answered: at least 4 each way on a loaded machine.
    expect(ws.messages.out).toBeGreaterThanOrEqual(4);
    expect(ws.messages.in).toBeGreaterThanOrEqual(4);
    expect(ws.messages.out).toBeLessThanOrEqual(server.pings());
    expect(ws.heartbeat?.intervalMs).not.toBeNull();
    expect(ws.heartbeat!.intervalMs!).toBeGreaterThan(HEARTBEAT_MS * 0.75);
    expect(ws.heartbeat!.intervalMs!).toBeLessThan(HEARTBEAT_MS * 1.5);
  });

  it('the SharedWorker serving two tabs polls, as one channel', () => {
    expect(sharedClients).toBe(2);
    const shared = channelOn('/poll/shared');
    expect(shared.origin).toEqual({ kind: 'shared', url: `${server.url}/shared.js` });
    expect(shared.kind).toBe('polling');
    expect(shared.intervalMs?.median).toBeGreaterThan(POLL_MS * 0.75);
    expect(shared.intervalMs?.median).toBeLessThan(POLL_MS * 1.5);
  });

  it('the Service Worker polls', () => {
    const sw = channelOn('/poll/service');
    expect(sw.origin).toEqual({ kind: 'service', url: `${server.url}/sw.js` });
    expect(sw.kind).toBe('polling');
    expect(sw.requests).toBeGreaterThanOrEqual(6);
  });

  it('the nested Worker (a worker’s worker) polls', () => {
    const nested = channelOn('/poll/nested');
    expect(nested.origin).toEqual({ kind: 'dedicated', url: `${server.url}/nested.js` });
    expect(nested.kind).toBe('polling');
    expect(nested.requests).toBeGreaterThanOrEqual(6);
  });

  it('the parent worker’s EventSource is an sse channel, its reconnects on one connection', () => {
    const sse = channelOn('/events');
    expect(sse.origin).toEqual({ kind: 'dedicated', url: `${server.url}/parent.js` });
    expect(sse.kind).toBe('sse');
    expect(sse.transport).toBe('eventsource');
    expect(sse.connections).toBe(1);
    // Three events per stream, a stream every ~4 s (3 × 1 s, then retry: 1000) for 14 s.
    expect(sse.reconnects.length).toBeGreaterThanOrEqual(2);
    expect(sse.reconnects.length).toBeLessThanOrEqual(server.streams() - 1);
    expect(sse.messages.in).toBeGreaterThanOrEqual(6);
  });

  it('the dedicated worker’s streamed fetch is a streaming channel, its pieces as they came', () => {
    const stream = channelOn('/stream');
    expect(stream.origin).toEqual({ kind: 'dedicated', url: `${server.url}/dedicated.js` });
    expect(stream.kind).toBe('streaming');
    const chunks = run.capture.events.filter((e) => e.type === 'http.chunk' && e.origin !== undefined);
    // Four lines a stream, three streams or so in 14 s; the network may join two lines in one piece.
    expect(chunks.length).toBeGreaterThanOrEqual(6);
  });

  it('the page’s own polling is captured once, by the page hooks', () => {
    const own = channelOn('/poll/page');
    expect(own.origin).toBeUndefined();
    expect(own.kind).toBe('polling');
    // Not doubled: no more requests than the server answered.
    expect(own.requests).toBeLessThanOrEqual(server.polls('/poll/page'));
    const pageConns = new Set(run.capture.events.flatMap((e) => (e.type === 'http.request' && e.url.endsWith('/poll/page') ? [e.conn] : [])));
    expect(pageConns.size).toBe(own.requests);
  });

  it('every worker event passes the guard and names its worker; the workers’ scripts are no channels', () => {
    const fromWorkers = run.capture.events.filter((e) => 'origin' in e && e.origin !== undefined);
    expect(fromWorkers.length).toBeGreaterThan(30);
    for (const e of fromWorkers) expect(isCaptureEvent(e)).toBe(true);
    const seqs = run.capture.events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    for (const path of ['/dedicated.js', '/shared.js', '/sw.js', '/parent.js', '/nested.js', '/page.html', '/']) {
      expect(run.report.channels.some((c) => new URL(c.sampleUrl).pathname === path)).toBe(false);
    }
  });
});

describe('the CLI', () => {
  it('--json reports worker channels with their origin, valid against docs/report.schema.json; a drop fault leaves the worker’s socket alone', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ri-workers-'));
    try {
      const out = join(tmp, 'report.json');
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        execFile(
          process.execPath,
          [BIN, 'audit', `${server.url}/`, '--duration', '9s', '--fault', 'drop@4s', '--json', out],
          { cwd: ROOT, env: process.env, timeout: 60_000 },
          (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(code, stderr).toBe(0);
      // The fault was delivered (to the page), not refused.
      expect(stderr).not.toContain('fault not applied');
      expect(stdout).toContain(`  in a Worker ${server.url}/dedicated.js\n`);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { channels: ChannelReport[] };
      const ajv = new Ajv({ allErrors: true, strict: false });
      const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8')));
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
      const kinds = new Set(report.channels.flatMap((c) => (c.origin ? [c.origin.kind] : [])));
      expect([...kinds].sort()).toEqual(['dedicated', 'service', 'shared']);
      // Faults act on the page's connections only (README "Known limitations"): the worker's socket lived through the drop.
      const socket = report.channels.find((c) => c.sampleUrl.endsWith('/socket'))!;
      expect(socket.connections).toBe(1);
      expect(socket.reconnects).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 90_000);
});
