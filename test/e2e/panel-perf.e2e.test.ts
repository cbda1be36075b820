/**
 * Panel performance in real Chromium with the built extension: 100,000
 * WebSocket messages on one channel plus 5,000 polling requests, loaded into
 * the panel's store; then 1,000 messages per second streamed in live.
 * Measures time to the first rendered overview and channel detail, and frame
 * gaps (requestAnimationFrame) while live. Numbers are printed for BENCHMARKS.md.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';

let browser: LaunchedBrowser;
let panel: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  panel = await browser.context.newPage();
  await panel.setViewportSize({ width: 1280, height: 800 });
  // No tabId: the panel runs without a live connection; the test feeds its store.
  await panel.goto(`chrome-extension://${browser.extensionId}/src/panel/panel.html?theme=light`);
  await panel.waitForSelector('.empty');
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** Builds the synthetic capture inside the page (so the measurement excludes transfer from Node). */
const SYNTH = `(() => {
  const ev = []; let seq = 0; const T = Date.now() - 600000;
  const base = (t) => ({ seq: ++seq, pseq: seq, frameId: 0, doc: 'd', t });
  ev.push({ ...base(T), type: 'doc.start', url: 'http://perf.test/', title: 'perf', top: true, parentDoc: null });
  ev.push({ ...base(T + 1), type: 'ws.create', conn: 'd:ws', url: 'ws://perf.test/feed', protocols: [] });
  ev.push({ ...base(T + 2), type: 'ws.open', conn: 'd:ws', protocol: '', extensions: '' });
  const msgs = [];
  for (let i = 0; i < 100000; i++) {
    const data = JSON.stringify({ type: 'price', symbol: 'ACME', value: i });
    msgs.push({ ...base(T + 10 + i * 3), type: 'ws.message', conn: 'd:ws', dir: i % 10 ? 'in' : 'out', data: { size: data.length, encoding: 'text', data, truncated: false } });
  }
  const http = [];
  for (let i = 0; i < 5000; i++) {
    const c = 'd:p' + i; const t = T + 5 + i * 60;
    http.push({ ...base(t), type: 'http.request', conn: c, transport: 'fetch', method: 'GET', url: 'http://perf.test/api/poll', headers: [], bodySize: 0 });
    http.push({ ...base(t + 20), type: 'http.response', conn: c, status: 200, statusText: 'OK', headers: [], url: 'http://perf.test/api/poll', contentType: 'application/json' });
    http.push({ ...base(t + 25), type: 'http.end', conn: c, size: 12, bodyHash: '0badf00d', body: { size: 12, encoding: 'text', data: '{"items":[]}', truncated: false } });
  }
  return ev.concat(msgs, http).sort((a, b) => a.t - b.t);
})()`;

test('100k messages + 5k polls: opens, renders the detail, filters, and stays live at 1,000 msg/s', { timeout: 120_000 }, async () => {
  const openMs = await panel.evaluate(async (synth) => {
    const events = (0, eval)(synth);
    const store = (globalThis as unknown as { __riPanel: { store: { resetLive(e: unknown[]): void } } }).__riPanel.store;
    const t0 = performance.now();
    store.resetLive(events);
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    if (document.querySelectorAll('.overview-table tbody tr').length !== 2) throw new Error('overview not rendered');
    return performance.now() - t0;
  }, SYNTH);

  const detailMs = await panel.evaluate(async () => {
    const row = Array.from(document.querySelectorAll<HTMLElement>('.overview-table tbody tr')).find((r) => r.querySelector('[data-kind="websocket"]'))!;
    const t0 = performance.now();
    row.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    // The channel's rows come from the analysis worker: wait for them (at most 30 s).
    while (document.querySelectorAll('.vrow').length === 0) {
      if (performance.now() - t0 > 30_000) throw new Error('message list not rendered');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t0;
  });

  const filterMs = await panel.evaluate(async () => {
    const box = document.getElementById('message-search') as HTMLInputElement;
    const t0 = performance.now();
    box.value = 'value":9999\\d';
    box.dispatchEvent(new InputEvent('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const n = document.querySelectorAll('.vrow').length;
    if (n === 0) throw new Error('filter shows nothing');
    const ms = performance.now() - t0;
    box.value = '';
    box.dispatchEvent(new InputEvent('input', { bubbles: true }));
    return ms;
  });

  const live = await panel.evaluate(async () => {
    const store = (globalThis as unknown as { __riPanel: { store: { appendLive(e: unknown[]): void; version: number } } }).__riPanel.store;
    const gaps: number[] = [];
    let last = performance.now();
    let running = true;
    const frame = (now: number) => {
      gaps.push(now - last);
      last = now;
      if (running) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    const startVersion = store.version;
    let seq = 10_000_000;
    const t0 = Date.now();
    // 1,000 messages per second in 16 ms batches for 6 s, as the relay delivers them.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const batch = [];
        for (let i = 0; i < 16; i++) {
          seq++;
          const data = JSON.stringify({ type: 'price', symbol: 'ACME', value: seq });
          batch.push({ seq, pseq: seq, frameId: 0, doc: 'd', t: Date.now() + i / 16, type: 'ws.message', conn: 'd:ws', dir: 'in', data: { size: data.length, encoding: 'text', data, truncated: false } });
        }
        store.appendLive(batch);
        if (Date.now() - t0 >= 6000) {
          clearInterval(timer);
          resolve();
        }
      }, 16);
    });
    running = false;
    gaps.sort((a, b) => a - b);
    return { frames: gaps.length, p50: gaps[Math.floor(gaps.length / 2)]!, p95: gaps[Math.floor(gaps.length * 0.95)]!, max: gaps[gaps.length - 1]!, updates: store.version - startVersion };
  });

  console.log(`[panel perf] open ${openMs.toFixed(0)} ms, channel detail ${detailMs.toFixed(0)} ms, regex filter ${filterMs.toFixed(0)} ms; live 1000 msg/s: ${live.frames} frames, gap p50 ${live.p50.toFixed(1)} ms, p95 ${live.p95.toFixed(1)} ms, max ${live.max.toFixed(0)} ms, ${live.updates} re-analyses`);
  // Regression guards with room for a loaded 2-core CI machine, not the 1 s goal: the core's report()
  // alone takes about 1 s for this capture; the panel's own share of opening is about 250 ms.
  expect(openMs).toBeLessThan(15_000);
  expect(detailMs).toBeLessThan(15_000);
  expect(filterMs).toBeLessThan(2000);
  // Live: the view updated while 1,000 msg/s streamed in, and most frames stayed on time.
  expect(live.updates).toBeGreaterThan(0);
  expect(live.p50).toBeLessThan(100);
});
