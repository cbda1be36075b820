/**
 * Section 2: relay throughput. How many events per second travel
 * page → isolated relay → service worker → panel with nothing dropped, and
 * where drops start (every loss is counted by the pipeline: capture.dropped
 * by where it happened, plus the panel's own eviction).
 *
 * Two measurements:
 *  - paced injection: the page posts well-formed capture batches on the
 *    page↔relay bridge (src/shared/page-bridge.ts), exactly as the hooks'
 *    emitter does (500 events per message), at rising rates for a fixed time,
 *    on the hooks' private channel (tapped by a script that runs before the
 *    content scripts, test/support/channel-tap.ts).
 *    This isolates the relay/background/panel path from Chrome's own limit on
 *    how fast a page can receive WebSocket messages (~20k/s here);
 *  - end-to-end: a real WebSocket flood through the real hooks, to the panel.
 */
import { launchChromium, sleep, waitForQuiet, type Browser, type Target } from './cdp.ts';
import { startBenchServer, type BenchServer } from './server.ts';
import { fmt, table } from './stats.ts';
import { PAGE_BRIDGE_VERSION, PAGE_TO_RELAY_EVENT } from '../src/shared/page-bridge.ts';
import { CHANNEL_TAP_SCRIPT } from '../test/support/channel-tap.ts';

export interface RelayStep {
  /** Target rate (events/s) and how long it was held. */
  rate: number;
  seconds: number;
  injected: number;
  /** Events of this step that the panel received. */
  deliveredToPanel: number | null;
  /** Events the background assigned a seq to (its lastSeq). */
  sequencedByBackground: number | null;
  /** Rate the page actually achieved posting. */
  injectedPerSecond: number;
  /** Delivered events / (last delivery − first injection). */
  deliveredPerSecond: number | null;
  /** Last event's arrival in the panel after the last injection (ms). */
  drainMs: number | null;
  dropped: { page: number; relay: number; background: number; panel: number; rejected: number } | null;
}

export interface RelayResult {
  batchEvents: number;
  steps: RelayStep[];
  /** The highest sustained rate with every event delivered and nothing dropped. */
  maxLosslessRate: number | null;
  /** The lowest rate at which the pipeline counted drops (null: none within the tested range). */
  dropsStartAt: number | null;
  endToEnd: { messages: number; pageMs: number; deliveredToPanel: number | null; untilPanelMs: number | null; dropped: number | null } | null;
  notes: string[];
}

const BATCH = 500;
/** Most events one paced step injects (see runRelay). */
const STEP_MAX_EVENTS = 50_000;

/** Page-side injector: posts `rate` events/s for `seconds` on the bridge, in 500-event messages every tick. */
const INJECT = (rate: number, seconds: number, doc: string) => `(() => new Promise((resolve) => {
  const total = ${Math.round(rate * seconds)};
  const perMs = ${rate} / 1000;
  const start = performance.now();
  const startEpoch = performance.timeOrigin + start;
  let sent = 0;
  const data = { size: 58, encoding: 'text', data: '{"type":"tick","i":0,"price":101.234,"sym":"ABC","pad":"x"}'.slice(0, 58), truncated: false };
  const post = (n) => {
    const events = new Array(n);
    const t = performance.timeOrigin + performance.now();
    for (let i = 0; i < n; i++) {
      sent++;
      events[i] = { seq: 0, pseq: sent, t, frameId: 0, doc: ${JSON.stringify(doc)}, type: 'ws.message', conn: ${JSON.stringify(`${doc}:1`)}, dir: 'in', data };
    }
    window.__riChannel.dispatchEvent(new CustomEvent(${JSON.stringify(PAGE_TO_RELAY_EVENT)}, { detail: JSON.stringify({ v: ${PAGE_BRIDGE_VERSION}, kind: 'events', n: events.length, events }) }));
  };
  const tick = () => {
    const due = Math.min(total, Math.floor((performance.now() - start) * perMs));
    while (sent < due) post(Math.min(${BATCH}, due - sent));
    if (sent >= total) resolve({ injected: sent, startEpoch, endEpoch: performance.timeOrigin + performance.now() });
    else setTimeout(tick, 4);
  };
  tick();
}))()`;

/**
 * Counts, in the panel page, the events matching `match` that the panel's bridge
 * holds, and when the last one arrived. It polls `__riPanel.events()` every 20 ms
 * rather than subscribing: a listener added after the panel's own could be
 * skipped when an earlier listener throws.
 */
const PANEL_COUNTER = (match: string) => `(() => {
  const c = (globalThis.__benchCounter = { n: 0, lastEpoch: 0, seen: 0 });
  const matches = (e) => ${match};
  c.seen = globalThis.__riPanel.events().length;
  c.timer = setInterval(() => {
    const events = globalThis.__riPanel.events();
    if (events.length <= c.seen) return;
    let k = 0;
    for (let i = c.seen; i < events.length; i++) if (matches(events[i])) k++;
    c.seen = events.length;
    if (k) { c.n += k; c.lastEpoch = performance.timeOrigin + performance.now(); }
  }, 20);
  return true;
})()`;

interface Stats {
  lastSeq: number;
  dropped: { page: number; relay: number; background: number };
  rejected: number;
}

/** Ids of every open tab, read in the extension's service worker (ids need no "tabs" permission; URLs would). */
async function tabIds(browser: Browser): Promise<number[]> {
  const sw = await browser.serviceWorker();
  return sw.evaluate<number[]>('chrome.tabs.query({}).then((tabs) => tabs.map((t) => t.id))');
}

async function tabStats(browser: Browser, tabId: number): Promise<Stats | null> {
  const sw = await browser.serviceWorker();
  return sw.evaluate<Stats | null>(`(self.realtimeInspector ? self.realtimeInspector.stats(${tabId}) : Promise.resolve(null))`, 10_000).catch(() => null);
}

/** Open the panel page for a tab and wait for its bridge; null when the panel exposes none. */
export async function openPanel(browser: Browser, tabId: number): Promise<Target | null> {
  const panel = await browser.newPage(`chrome-extension://${browser.extensionId}/src/panel/panel.html?tabId=${tabId}`);
  for (let i = 0; i < 100; i++) {
    const ok = await panel.evaluate<boolean>(`!!(globalThis.__riPanel && globalThis.__riPanel.bridge && globalThis.__riPanel.events)`).catch(() => false);
    if (ok) return panel;
    await sleep(100);
  }
  await panel.close();
  return null;
}

/** Open the bench page in a new tab of the extension browser; returns it with its tab id. `tap`: keep the hooks' channel as `window.__riChannel`. */
export async function openBenchTab(browser: Browser, server: BenchServer, tag: string, tap = false): Promise<{ page: Target; tabId: number }> {
  const url = `${server.origin}/bench.html?${tag}=${Math.random().toString(36).slice(2)}`;
  const known = new Set(await tabIds(browser));
  const page = await browser.newPage();
  let tabId: number | undefined;
  for (let i = 0; i < 50 && tabId === undefined; i++) {
    tabId = (await tabIds(browser)).find((id) => !known.has(id));
    if (tabId === undefined) await sleep(50);
  }
  if (tabId === undefined) throw new Error('the new tab did not appear in chrome.tabs');
  if (tap) await page.send('Page.addScriptToEvaluateOnNewDocument', { source: CHANNEL_TAP_SCRIPT });
  await page.goto(url);
  return { page, tabId };
}

async function runStep(browser: Browser, server: BenchServer, rate: number, seconds: number): Promise<RelayStep> {
  const doc = `bench${rate}x${Math.random().toString(36).slice(2, 8)}`;
  const { page, tabId } = await openBenchTab(browser, server, 'relay', true);
  const panel = await openPanel(browser, tabId);
  try {
    await sleep(200);
    const before = await tabStats(browser, tabId);
    if (panel) await panel.evaluate(PANEL_COUNTER(`e.doc === ${JSON.stringify(doc)}`));
    const inj = await page.evaluate<{ injected: number; startEpoch: number; endEpoch: number }>(INJECT(rate, seconds, doc), 120_000);
    const readPanel = async () => (panel ? (await panel.evaluate<{ n: number }>('globalThis.__benchCounter')).n : 0);
    let delivered: number | null = null;
    let lastEpoch = 0;
    if (panel) {
      delivered = await waitForQuiet(readPanel, inj.injected, 3000, 60_000);
      lastEpoch = (await panel.evaluate<{ lastEpoch: number }>('globalThis.__benchCounter')).lastEpoch;
    } else {
      await waitForQuiet(async () => ((await tabStats(browser, tabId))?.lastSeq ?? 0) - (before?.lastSeq ?? 0), inj.injected, 3000, 60_000);
    }
    const after = await tabStats(browser, tabId);
    const panelStatus = panel ? await panel.evaluate<{ panelEvicted: number }>('globalThis.__riPanel.stats()') : null;
    const d = (k: 'page' | 'relay' | 'background') => (after?.dropped[k] ?? 0) - (before?.dropped[k] ?? 0);
    return {
      rate,
      seconds,
      injected: inj.injected,
      deliveredToPanel: delivered,
      sequencedByBackground: after && before ? after.lastSeq - before.lastSeq : null,
      injectedPerSecond: inj.injected / ((inj.endEpoch - inj.startEpoch) / 1000),
      deliveredPerSecond: delivered && lastEpoch ? delivered / ((lastEpoch - inj.startEpoch) / 1000) : null,
      drainMs: lastEpoch ? Math.max(0, lastEpoch - inj.endEpoch) : null,
      dropped: after ? { page: d('page'), relay: d('relay'), background: d('background'), panel: panelStatus?.panelEvicted ?? 0, rejected: after.rejected - (before?.rejected ?? 0) } : null,
    };
  } finally {
    await panel?.close();
    await page.close();
  }
}

/** A real WebSocket flood through the real hooks, counted in the panel. */
async function runEndToEnd(browser: Browser, server: BenchServer, messages: number): Promise<RelayResult['endToEnd']> {
  const { page, tabId } = await openBenchTab(browser, server, 'e2e');
  const panel = await openPanel(browser, tabId);
  try {
    await sleep(200);
    if (panel) await panel.evaluate(PANEL_COUNTER(`e.type === 'ws.message' && e.dir === 'in'`));
    const startEpoch = await page.evaluate<number>('performance.timeOrigin + performance.now()');
    const r = await page.evaluate<{ ms: number }>(`__bench.wsIn(${JSON.stringify(`${server.wsOrigin}/ws`)}, ${messages}, 0)`, 120_000);
    let delivered: number | null = null;
    let untilPanelMs: number | null = null;
    if (panel) {
      delivered = await waitForQuiet(async () => (await panel.evaluate<{ n: number }>('globalThis.__benchCounter')).n, messages, 3000, 60_000);
      const c = await panel.evaluate<{ lastEpoch: number }>('globalThis.__benchCounter');
      untilPanelMs = c.lastEpoch ? c.lastEpoch - startEpoch : null;
    }
    const stats = await tabStats(browser, tabId);
    return {
      messages,
      pageMs: r.ms,
      deliveredToPanel: delivered,
      untilPanelMs,
      dropped: stats ? stats.dropped.page + stats.dropped.relay + stats.dropped.background : null,
    };
  } finally {
    await panel?.close();
    await page.close();
  }
}

/** Run the relay section. */
export async function runRelay(opts: { extensionDir: string; quick: boolean; log: (line: string) => void }): Promise<RelayResult> {
  const notes: string[] = [];
  const server = await startBenchServer();
  const browser = await launchChromium({ extensionDir: opts.extensionDir });
  const steps: RelayStep[] = [];
  let endToEnd: RelayResult['endToEnd'] = null;
  try {
    // Each step holds its rate for 2 s but injects at most STEP_MAX_EVENTS, so it stays within the buffer bounds
    // (100k events per tab; 16 Mi chars across tabs, about 70k of these events): a drop then means the pipeline
    // fell behind, not that a bound evicted by design (that bound is reached by volume, whatever the rate).
    const rates = opts.quick ? [10_000] : [5_000, 10_000, 20_000, 30_000, 50_000, 100_000, 200_000];
    for (const rate of rates) {
      const seconds = Math.min(opts.quick ? 1 : 2, STEP_MAX_EVENTS / rate);
      const step = await runStep(browser, server, rate, seconds);
      steps.push(step);
      const dropped = step.dropped ? Object.values(step.dropped).reduce((a, b) => a + b, 0) : null;
      opts.log(`  relay ${fmt(rate)} ev/s × ${fmt(seconds, 2)} s: injected ${fmt(step.injected)} (${fmt(step.injectedPerSecond)}/s), panel ${fmt(step.deliveredToPanel)}, background ${fmt(step.sequencedByBackground)}, dropped ${fmt(dropped)}, delivered ${fmt(step.deliveredPerSecond)}/s`);
    }
    endToEnd = await runEndToEnd(browser, server, opts.quick ? 2_000 : 50_000);
    opts.log(`  relay end-to-end: ${fmt(endToEnd?.messages)} WS messages, panel got ${fmt(endToEnd?.deliveredToPanel)} in ${fmt(endToEnd?.untilPanelMs)} ms, dropped ${fmt(endToEnd?.dropped)}`);
    if (steps.some((s) => s.deliveredToPanel === null)) notes.push('the panel page exposed no __riPanel bridge: delivery counted at the background only');
  } finally {
    await browser.close();
    await server.close();
  }
  const lossless = (s: RelayStep) =>
    s.dropped !== null && Object.values(s.dropped).every((x) => x === 0) && (s.deliveredToPanel ?? s.sequencedByBackground) === s.injected;
  const ok = steps.filter(lossless);
  const lossy = steps.filter((s) => s.dropped && Object.values(s.dropped).some((x) => x > 0));
  return {
    batchEvents: BATCH,
    steps,
    maxLosslessRate: ok.length ? Math.max(...ok.map((s) => s.deliveredPerSecond ?? s.injectedPerSecond)) : null,
    dropsStartAt: lossy.length ? Math.min(...lossy.map((s) => s.rate)) : null,
    endToEnd,
    notes,
  };
}

/** The section's table. */
export function relayTable(r: RelayResult): string {
  const rows = r.steps.map((s) => [
    fmt(s.rate),
    fmt(s.seconds, 2),
    fmt(s.injected),
    fmt(s.injectedPerSecond),
    fmt(s.sequencedByBackground),
    fmt(s.deliveredToPanel),
    fmt(s.deliveredPerSecond),
    fmt(s.drainMs),
    s.dropped ? `${s.dropped.page}/${s.dropped.relay}/${s.dropped.background}/${s.dropped.panel}` : '—',
  ]);
  const e = r.endToEnd;
  return [
    `Relay throughput (page → relay → service worker → panel; ${r.batchEvents}-event page messages)`,
    table(['target ev/s', 'seconds', 'injected', 'achieved ev/s', 'background', 'panel', 'delivered ev/s', 'drain ms', 'dropped p/r/b/panel'], rows),
    `max lossless delivered rate: ${fmt(r.maxLosslessRate)} ev/s; drops start at: ${r.dropsStartAt === null ? 'none in range' : `${fmt(r.dropsStartAt)} ev/s`}`,
    e ? `end-to-end WS flood through the hooks: ${fmt(e.messages)} messages, page done in ${fmt(e.pageMs)} ms, panel had ${fmt(e.deliveredToPanel)} after ${fmt(e.untilPanelMs)} ms, dropped ${fmt(e.dropped)}` : '',
    ...r.notes,
  ].join('\n');
}
