/**
 * Fault injection end to end: the built extension in real Chromium, the lab's
 * pages on real libraries, faults sent through the background API exactly as the
 * CLI sends them. Each test asserts what the page's own code observed (its
 * `window.labLog`) and what the analysis made of the capture.
 * All tests share one browser and run concurrently in separate tabs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startLab, type Lab } from '../../lab/server.ts';
import { LAB_PAGES, labPath, pageOrigin } from '../../lab/catalog.ts';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import type { CaptureFile } from '../../src/core/events.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import type { FaultCommand } from '../../src/shared/page-bridge.ts';

/** Lab timings at a fifth of their real values (heartbeat 3 s, dead-connection timeout 2 s, poll 400 ms). */
const SCALE = 0.2;

interface LogEntry {
  t: number;
  kind: string;
  [key: string]: unknown;
}

let lab: Lab;
let session: InspectorSession;
let tabs = 0;

beforeAll(async () => {
  lab = await startLab({ port: 0, scale: SCALE });
  session = await launchInspector();
}, 60_000);

afterAll(async () => {
  await session?.close();
  await lab?.close();
});

async function open(id: string, query: Record<string, string | number> = {}): Promise<{ page: Page; tabId: number }> {
  const entry = LAB_PAGES.find((p) => p.id === id);
  if (!entry) throw new Error(`no lab page ${id}`);
  const tab = await session.newTab();
  // A host per tab: the concurrent tests must not share Chrome's six connections per host.
  await tab.page.goto(`${pageOrigin(lab.url, `t${++tabs}`)}${labPath(entry, query)}`);
  return tab;
}

const labLog = (page: Page) => page.evaluate(() => (window as unknown as { labLog: LogEntry[] }).labLog);
const pageNow = (page: Page) => page.evaluate(() => performance.now());

/** Poll the page's log until `predicate` holds. */
async function until(page: Page, predicate: (log: LogEntry[]) => boolean, what: string, timeoutMs = 15_000): Promise<LogEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await labLog(page);
    if (predicate(log)) return log;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; page log: ${JSON.stringify(log.slice(-12))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Inject a fault, retrying briefly until the page's relay has connected. */
async function inject(tabId: number, command: FaultCommand): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await session.injectFault(tabId, command);
    } catch (error) {
      if (i > 30) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * When the page applied a fault, in the page's performance.now() clock: from the `fault`
 * events the hooks record, so that the delay of delivering the command does not count.
 */
async function faultWindow(page: Page, tabId: number, fault: string): Promise<{ start: number; end: number | null }> {
  const timeOrigin = await page.evaluate(() => performance.timeOrigin);
  for (let i = 0; i < 100; i++) {
    const { events } = await session.exportTab(tabId);
    const mine = events.filter((e) => e.type === 'fault' && e.fault === fault);
    const start = mine.find((e) => e.type === 'fault' && e.phase !== 'end');
    const end = mine.find((e) => e.type === 'fault' && e.phase === 'end');
    if (start) return { start: start.t - timeOrigin, end: end ? end.t - timeOrigin : null };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${fault} fault event in the capture`);
}

/** Re-read until `ok` accepts the value or 10 s pass (captured events trail what the page saw by a batch). */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

async function channelOf(tabId: number, urlPart: string): Promise<ChannelReport> {
  const capture = await session.exportTab(tabId);
  const report = analyzeCapture(capture.events);
  const channel = report.channels.find((c) => c.url.includes(urlPart) && c.kind !== 'one-off');
  if (!channel) throw new Error(`no channel for ${urlPart}: ${report.channels.map((c) => `${c.kind} ${c.url}`).join(', ')}`);
  return channel;
}

describe.concurrent('faults, as the page sees them', { timeout: 90_000 }, () => {
  it('drop: the WebSocket closes with 1006, wasClean false, and the page reconnects', async () => {
    const { page, tabId } = await open('ws-heartbeat');
    await until(page, (log) => log.some((e) => e.kind === 'open'), 'open');
    await inject(tabId, { fault: 'drop', conn: null });
    const log = await until(page, (l) => l.filter((e) => e.kind === 'open').length >= 2, 'the reconnect');
    const close = log.find((e) => e.kind === 'close');
    expect(close).toMatchObject({ code: 1006, wasClean: false });
    // The page saw the replacement at once; its captured events follow through the relay's batching.
    const channel = await eventually(() => channelOf(tabId, '/ws/heartbeat'), (c) => c.reconnects.length >= 1);
    const [first] = channel.reconnects;
    expect(first?.cause).toBe('fault: drop');
    // The page waits 1 s (scaled) before reconnecting; the report measures that delay (late timers make it longer, never shorter).
    expect(first!.delayMs).toBeGreaterThanOrEqual(1000 * SCALE * 0.9);
    expect(first!.delayMs).toBeLessThan(1000 * SCALE + 2500);
    await page.close();
  });

  it('drop: an EventSource fires error and is closed (its own reconnect cannot be driven from the page)', async () => {
    const { page, tabId } = await open('sse-resume');
    await until(page, (log) => log.some((e) => e.kind === 'event'), 'a first SSE event');
    await inject(tabId, { fault: 'drop', conn: null });
    const { start } = await faultWindow(page, tabId, 'drop');
    // The lab's stream also ends on its own every 4 s (an error with readyState 0, then a reconnect): look after the drop.
    const log = await until(page, (l) => l.some((e) => e.kind === 'error' && e.t >= start), 'the error');
    expect(log.find((e) => e.kind === 'error' && e.t >= start)).toMatchObject({ readyState: 2 });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await labLog(page)).filter((e) => e.kind === 'open' && e.t > start)).toEqual([]);
    await page.close();
  });

  it('offline: fetch rejects with TypeError during the window, and polling recovers after it', async () => {
    const { page, tabId } = await open('polling-naive');
    await until(page, (log) => log.some((e) => e.kind === 'response'), 'a first response');
    await inject(tabId, { fault: 'offline', durationMs: 2500 });
    const { start } = await faultWindow(page, tabId, 'offline');
    const end = start + 2500;
    const log = await until(page, (l) => l.some((e) => e.kind === 'response' && e.t > end), 'a response after the window');
    const failures = log.filter((e) => e.kind === 'fetch-error');
    // Requests made during the window reject like an offline fetch ("Failed to fetch"); a poll whose
    // body was still arriving when the window opened is cut like a real drop mid-body ("network error").
    expect(failures.filter((f) => f.message === 'Failed to fetch').length).toBeGreaterThanOrEqual(1);
    for (const f of failures) {
      expect(f.name).toBe('TypeError');
      expect(['Failed to fetch', 'network error']).toContain(f.message);
      expect(f.t).toBeGreaterThanOrEqual(start);
      expect(f.t).toBeLessThan(end + 100);
    }
    // A response that arrived inside the window would mean a request got through while offline.
    expect(log.filter((e) => e.kind === 'response' && e.t > start + 50 && e.t < end - 50)).toEqual([]);
    await page.close();
  });

  it('offline three times: a WebSocket is dropped, new ones fail until each window ends, and the backoff fits exponential with jitter', async () => {
    // At scale 0.4 the page waits 200, 400, 800, 1600, 3200 ms (±50%) between attempts: about five failures per 6.5 s
    // window, enough growth (×16) to tell exponential from linear through the jitter.
    const { page, tabId } = await open('reconnect-backoff', { outage: 0, scale: 0.4 });
    await until(page, (log) => log.some((e) => e.kind === 'open'), 'open');
    const windows: number[] = [];
    // Three outages: over two, one outage's few measurable delays can take even steps by chance and read as a
    // deterministic policy (seen once in CI: 581, 774, 954 ms); every further outage is one more chance to show
    // the randomisation (README, known limitations: backoff verdicts need enough reconnects).
    for (let round = 0; round < 3; round++) {
      const before = await pageNow(page);
      await inject(tabId, { fault: 'offline', durationMs: 6500 });
      await until(page, (l) => l.some((e) => e.kind === 'open' && e.t > before + 6500), 'the reconnect after the window', 30_000);
    }
    const timeOrigin = await page.evaluate(() => performance.timeOrigin);
    for (const e of (await session.exportTab(tabId)).events) {
      if (e.type === 'fault' && e.fault === 'offline' && e.phase === 'start') windows.push(e.t - timeOrigin);
    }
    expect(windows).toHaveLength(3);
    const log = await labLog(page);
    for (const start of windows) {
      const closes = log.filter((e) => e.kind === 'close' && e.t >= start && e.t < start + 6500);
      expect(closes.length).toBeGreaterThanOrEqual(3);
      for (const c of closes) expect(c).toMatchObject({ code: 1006, wasClean: false });
    }
    const channel = await channelOf(tabId, '/ws/flaky');
    const seen = JSON.stringify({ backoff: channel.backoff, delays: channel.reconnects.map((r) => Math.round(r.delayMs)) });
    expect(channel.reconnects.length, seen).toBeGreaterThanOrEqual(6);
    expect(channel.reconnects.every((r) => r.cause === 'fault: offline' || r.cause.startsWith('close 1006') || r.cause === 'error'), seen).toBe(true);
    expect(channel.backoff?.model, seen).toBe('exponential');
    expect(channel.backoff?.jitter, seen).toBe(true);
    expect(channel.backoff?.factor, seen).toBeGreaterThan(1.3);
    expect(channel.backoff?.factor, seen).toBeLessThan(3);
    expect(channel.findings.map((f) => f.code)).not.toContain('reconnect-without-backoff');
    await page.close();
    // Three 6.5 s windows and their reconnects: about 25 s on an idle machine.
  }, 120_000);

  it('offline: the storm page retries every 100 ms and is flagged for having no backoff', async () => {
    const { page, tabId } = await open('reconnect-storm', { outage: 0 });
    await until(page, (log) => log.some((e) => e.kind === 'open'), 'open');
    await inject(tabId, { fault: 'offline', durationMs: 4000 });
    const { start } = await faultWindow(page, tabId, 'offline');
    const log = await until(page, (l) => l.some((e) => e.kind === 'open' && e.t > start + 4000), 'the reconnect after the window', 30_000);
    // Every 100 ms for 4 s would be 40 attempts; a loaded machine stretches timers, so ask for a fraction.
    expect(log.filter((e) => e.kind === 'close' && e.t >= start).length).toBeGreaterThanOrEqual(8);
    const channel = await channelOf(tabId, '/ws/flaky');
    const seen = JSON.stringify({ backoff: channel.backoff, delays: channel.reconnects.map((r) => Math.round(r.delayMs)), findings: channel.findings.map((f) => f.code) });
    // The page's delay never grows: whatever model fits the timer noise, it is no backoff.
    expect(channel.backoff?.model, seen).not.toBe('exponential');
    expect(channel.findings.map((f) => f.code), seen).toContain('reconnect-without-backoff');
    await page.close();
  });

  it('close: the page receives the chosen server close code 4001, wasClean true', async () => {
    const { page, tabId } = await open('ws-heartbeat');
    await until(page, (log) => log.some((e) => e.kind === 'open'), 'open');
    await inject(tabId, { fault: 'close', code: 4001, reason: 'unauthorized', conn: null });
    const log = await until(page, (l) => l.some((e) => e.kind === 'close'), 'the close');
    expect(log.find((e) => e.kind === 'close')).toMatchObject({ code: 4001, reason: 'unauthorized', wasClean: true });
    // The page saw it at once; the captured event follows through the relay's batching.
    const hasClose = (c: CaptureFile) => c.events.some((e) => e.type === 'ws.close' && e.code === 4001);
    expect(hasClose(await eventually(() => session.exportTab(tabId), hasClose))).toBe(true);
    await page.close();
  });

  it('stall: incoming messages are held for the window and then delivered in order', async () => {
    // At scale 0.4: updates every 1-3 s, a ping every 6 s, a dead-connection timeout of 4 s. A 3.2 s stall is longer
    // than the largest gap between updates, so something is held, and shorter than the timeout, so the page keeps the socket.
    const { page, tabId } = await open('ws-heartbeat', { scale: 0.4 });
    await until(page, (log) => log.filter((e) => e.kind === 'message').length >= 1, 'a first message');
    await inject(tabId, { fault: 'stall', durationMs: 3200, conn: null });
    const { start } = await faultWindow(page, tabId, 'stall');
    const log = await until(page, (l) => l.some((e) => (e.kind === 'message' || e.kind === 'pong') && e.t > start + 3200), 'delivery after the stall');
    const inbound = log.filter((e) => (e.kind === 'message' || e.kind === 'pong') && e.t > start + 50);
    expect(inbound.filter((e) => e.t < start + 3100)).toEqual([]);
    expect(inbound[0]?.t).toBeLessThan(start + 3200 + 1000);
    const seqs = log.filter((e) => e.kind === 'message').map((e) => e.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(log.some((e) => e.kind === 'close')).toBe(false);
    await page.close();
  });

  it('stall: a stall longer than its heartbeat timeout makes the page declare the connection dead and replace it', async () => {
    const { page, tabId } = await open('ws-heartbeat');
    await until(page, (log) => log.some((e) => e.kind === 'pong'), 'a first pong');
    await inject(tabId, { fault: 'stall', durationMs: 8000, conn: null });
    const { start } = await faultWindow(page, tabId, 'stall');
    const log = await until(page, (l) => l.filter((e) => e.kind === 'open').length >= 2, 'the replacement connection');
    const timeout = log.find((e) => e.kind === 'heartbeat-timeout');
    expect(timeout).toBeDefined();
    // A ping goes out within 3 s of the stall start and the page gives up 2 s later.
    expect(timeout!.t - start).toBeLessThan(3000 + 2000 + 1500);
    expect(log.find((e) => e.kind === 'close')).toMatchObject({ code: 4000, reason: 'heartbeat timeout' });
    // The page saw the replacement at once; its captured events follow through the relay's batching.
    const channel = await eventually(() => channelOf(tabId, '/ws/heartbeat'), (c) => c.reconnects.length >= 1 && c.stalls.length === 1);
    expect(channel.reconnects.length).toBeGreaterThanOrEqual(1);
    // The analysis sees the same thing: the client gave up on the silent socket by closing it.
    expect(channel.stalls).toHaveLength(1);
    expect(channel.stalls[0]!.reaction).toBe('closed');
    expect(channel.stalls[0]!.detectedAfterMs!).toBeGreaterThanOrEqual(timeout!.t - start - 50);
    expect(channel.stalls[0]!.detectedAfterMs!).toBeLessThan(8000);
    expect(channel.findings.find((f) => f.code === 'stall-undetected')).toMatchObject({ severity: 'info' });
    await page.close();
  });

  it('latency: responses arrive at least the added delay later, and only during the window', async () => {
    const { page, tabId } = await open('polling-naive');
    await until(page, (log) => log.filter((e) => e.kind === 'response').length >= 2, 'two responses');
    await inject(tabId, { fault: 'latency', delayMs: 500, durationMs: 3000 });
    const { start } = await faultWindow(page, tabId, 'latency');
    const log = await until(page, (l) => l.filter((e) => e.kind === 'response' && e.t > start + 4000).length >= 2, 'responses after the window');
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const during = log.filter((e) => e.kind === 'response' && e.t > start + 600 && e.t < start + 3000).map((e) => e.ms as number);
    const after = log.filter((e) => e.kind === 'response' && e.t > start + 4000).map((e) => e.ms as number);
    expect(during.length).toBeGreaterThanOrEqual(1);
    for (const ms of during) expect(ms).toBeGreaterThanOrEqual(500);
    expect(median(after)).toBeLessThan(median(during));
    await page.close();
  });
});
