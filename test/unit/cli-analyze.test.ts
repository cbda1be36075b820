import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptureFile } from '../../src/core/events.ts';
import { eventsToHar } from '../../src/core/formats/index.ts';
import { CaptureBuilder, T0, pollingCapture } from './core-builders.ts';
import { runCli } from '../support/cli.ts';

const run = runCli;

let dir: string;
let good: string;

function captureFile(b: CaptureBuilder): CaptureFile {
  return { format: 'realtime-inspector-capture', version: 1, createdAt: '2026-11-24T12:00:00.000Z', page: { url: 'https://app.example/', title: 'Dashboard' }, redacted: false, events: b.sorted() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ri-cli-'));
  const b = pollingCapture({ url: 'https://api.example/updates?since={i}', intervalMs: 2000, bodies: Array.from({ length: 14 }, (_, i) => (i % 5 === 0 ? `{"items":[${i}]}` : '{"items":[]}')) });
  const ws = b.wsCreate(T0 + 100, 'wss://live.example/socket');
  b.wsOpen(T0 + 150, ws);
  for (const at of [500, 900, 1400]) b.wsMsg(T0 + at, ws, 'in', `{"tick":${at}}`);
  b.wsClose(T0 + 2000, ws, 1006);
  for (const at of [T0 + 2100, T0 + 2200, T0 + 2300]) {
    const c = b.wsCreate(at, 'wss://live.example/socket');
    b.wsError(at + 5, c);
    b.wsClose(at + 6, c, 1006);
  }
  good = join(dir, 'good.capture.json');
  await writeFile(good, JSON.stringify(captureFile(b)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each case spawns Node + tsx; on a loaded machine that takes seconds.
describe('realtime-inspector analyze', { timeout: 180_000 }, () => {
  it('prints a readable summary of channels, kinds, findings and advice', async () => {
    const r = await run(['analyze', good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Realtime Inspector report for https://app.example/ (Dashboard)');
    expect(r.stdout).toContain('[polling] fetch');
    expect(r.stdout).toContain('14 requests, median interval 2.0 s, median duration 40 ms');
    expect(r.stdout).toContain('WARNING polling-waste-high');
    expect(r.stdout).toContain('[websocket] websocket');
    expect(r.stdout).toContain('ERROR reconnect-without-backoff');
    expect(r.stdout).toContain('Advice: ');
    expect(r.stdout).toContain('Polling load for 1000 users: 500 req/s');
    // Rates read as a person reads them, not with the report's three decimals.
    // The socket: 3 messages in the 1,850 ms it was open, 1,621.6 msg/s for 1,000 users.
    expect(r.stdout).toContain('1622 msg/s for 1000 users');
    expect(r.stdout).not.toMatch(/\d\.\d{2,} (req|msg)\/s/);
  });

  it('prints the report JSON with --json and projects --users', async () => {
    const r = await run(['analyze', good, '--json', '--users', '10']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.version).toBe(1);
    expect(report.summary.users).toBe(10);
    expect(report.summary.projectedRequestsPerSecond).toBe(5);
    expect(report.channels.map((c: { kind: string }) => c.kind)).toEqual(['polling', 'websocket']);
  });

  it('analyses a HAR (with WebSocket messages) the same way', async () => {
    const file = JSON.parse(await readFile(good, 'utf8')) as CaptureFile;
    const har = join(dir, 'capture.har');
    await writeFile(har, JSON.stringify(eventsToHar(file.events, file.page)));
    const r = await run(['analyze', har, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.channels.map((c: { kind: string }) => c.kind)).toEqual(['polling', 'websocket']);
    expect(report.channels[0].wasted).toBe(11);
  });

  it('writes a self-contained HTML report with --html', async () => {
    const out = join(dir, 'report.html');
    const r = await run(['analyze', good, '--html', out]);
    expect(r.code).toBe(0);
    const html = await readFile(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('polling-waste-high');
  });

  it('exits 2 with a clear message for a missing file', async () => {
    const r = await run(['analyze', join(dir, 'nope.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.json: no such file');
    expect(r.stdout).toBe('');
  });

  it('exits 2 for malformed JSON, a non-capture, and a capture without valid events; warns about invalid events', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"format": "realtime-inspector-capture", "events": [');
    const r1 = await run(['analyze', bad]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('not valid JSON');

    const other = join(dir, 'other.json');
    await writeFile(other, '{"hello": "world"}');
    const r2 = await run(['analyze', other]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/Not a capture file or HAR/);

    const invalid = join(dir, 'invalid.json');
    const file = captureFile(pollingCapture({ url: 'https://a.example/x', intervalMs: 1000, bodies: ['1', '2', '3'] }));
    (file.events[2] as unknown as Record<string, unknown>).t = 'yesterday';
    await writeFile(invalid, JSON.stringify(file));
    const r3 = await run(['analyze', invalid]);
    expect(r3.code).toBe(0);
    expect(r3.stderr).toMatch(/event 2: .*bad field "t"/);
    expect(r3.stdout).toContain('[polling]');

    const none = join(dir, 'none.json');
    await writeFile(none, JSON.stringify({ ...file, events: [{ type: 'nonsense' }] }));
    const r4 = await run(['analyze', none]);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toContain('No valid events');
  });

  it('exits 2 on usage errors', async () => {
    const [missing, users, unknown, help] = await Promise.all([
      run(['analyze']),
      run(['analyze', good, '--users', 'many']),
      run(['frobnicate']),
      run(['--help']),
    ]);
    expect(missing.code).toBe(2);
    expect(users.code).toBe(2);
    expect(users.stderr).toContain('--users needs a positive whole number');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('analyze <capture.json|file.har>');
  });
});
