/**
 * Section 4: the panel, measured through the real panel page of the built
 * extension (chrome-extension://<id>/src/panel/panel.html?tabId=N).
 *
 *  - open: panel page load (empty), then the time from handing it a capture of
 *    100,000 WebSocket messages + 5,000 polling requests (the issue's case) until
 *    the overview shows the channels, analysed from every event, in a painted
 *    frame. Handed over as DevTools opening on a busy tab gets it: an empty list,
 *    the tab's history in chunks of 1,000 events (one task and one JSON.parse each,
 *    standing for the port messages) before the bridge is in sync, then 'synced',
 *    called as src/panel/live.ts calls the store (resetLive(chunk, true) for the
 *    chunk with the page's navigation, appendLive(chunk, true), setConnection). RI_BENCH_OPEN=reset
 *    hands it over as one new list instead (PanelStore.resetLive: what navigation
 *    without "preserve log", Clear and the preserve-log toggle do);
 *  - idle: frame intervals with no traffic (the control for the machine's load);
 *  - live: frame intervals and long tasks in the panel while the inspected page
 *    receives 1,000 WebSocket messages/s through the real hooks and pipeline,
 *    first on the overview, at the end again with the WebSocket channel open;
 *    and from a Chrome trace of each of these phases (bench/trace.ts) the panel
 *    main thread's work per frame, in wall and in CPU time (rAF intervals
 *    cannot show it: vsync jitter on a loaded machine alone passes 16.7 ms),
 *    with every long task and every frame over 16 ms attributed (its entry,
 *    its trace events, its top self-time functions from the trace's stack
 *    samples); RI_BENCH_TRACE_DIR=<dir> keeps the traces; RI_BENCH_LIVE_SECONDS=<n>
 *    makes each live phase n s long (default 8); RI_BENCH_GC_CATS=1 adds V8's and
 *    Oilpan's GC phases to the traces (what a long GC pause spent its time on);
 *  - interactions, as trusted input through CDP (Input.*): type in the overview's
 *    URL filter, open the channel, type a regex in the message filter, toggle a
 *    direction filter, zoom the channel timeline with the wheel; and scroll the
 *    message list (scrollTop). Each is timed from the input event to the first
 *    painted frame after the DOM settled;
 *  - heaps of the panel page and its workers at the end, after a forced GC;
 *    RI_BENCH_HEAP_SNAPSHOT=<file> also writes the panel page's heap snapshot
 *    there (loadable in DevTools' Memory panel). RI_BENCH_ALLOCATIONS=<file>
 *    writes what the open allocated that outlived the young generation, by
 *    function (V8's sampling heap profiler): what is still alive after the
 *    hand-over to the worker and a full GC, or with
 *    RI_BENCH_ALLOCATIONS_GARBAGE=1 also what a major GC collected; the
 *    difference of two runs is the garbage the panel's first major GC frees.
 */
import { writeFileSync } from 'node:fs';
import { launchChromium, sleep, type Browser, type Target } from './cdp.ts';
import { startProfile, stopProfile } from './profile.ts';
import { openBenchTab, openPanel } from './relay.ts';
import { startBenchServer, type BenchServer } from './server.ts';
import { fmt, percentile, summarize, table, type Summary } from './stats.ts';
import { synthesizeCapture } from './synth.ts';
import { startTracing, type FrameWork } from './trace.ts';

export interface Interaction {
  name: string;
  /** Input event → first frame after the DOM settled, per repetition (ms). */
  ms: number[];
  summary: Summary;
  /** Store updates (analysis results, connection status) that landed during the repetitions: each can re-render the view. */
  storeUpdates?: number;
  error?: string;
}

export interface LiveResult {
  messagesPerSecond: number;
  seconds: number;
  received: number | null;
  frames: number;
  frameMs: { p50: number; p95: number; max: number };
  framesOver16ms: number;
  framesOver50ms: number;
  longTasks: number;
  longestTaskMs: number;
  /** Main-thread work per frame and the long tasks, attributed, from a trace of the phase (null if the trace had no frames). */
  work?: FrameWork | null;
  /** With RI_BENCH_ALLOC=1: the panel main thread's JS allocations over the phase (sampling heap profiler, collected objects included). */
  alloc?: AllocSummary | null;
}

export interface AllocSummary {
  /** Estimated MiB allocated per second of the phase. */
  mibPerSecond: number;
  totalMiB: number;
  /** Top allocating functions (self, estimated MiB over the phase). */
  top: Array<{ frame: string; mib: number }>;
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * Start V8's sampling heap profiler on the page, keeping the samples of objects
 * a GC collected (the allocation rate, not only what survives); stop() sums
 * the estimated bytes per allocating function.
 */
async function startAllocSampling(page: Target): Promise<{ stop(seconds: number): Promise<AllocSummary> }> {
  await page.send('HeapProfiler.enable');
  await page.send('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop(seconds) {
      const { profile } = await page.send<{ profile: { head: SamplingNode } }>('HeapProfiler.stopSampling');
      await page.send('HeapProfiler.disable');
      const self = new Map<string, number>();
      let total = 0;
      const walk = (n: SamplingNode) => {
        if (n.selfSize) {
          const f = n.callFrame;
          const key = `${f.functionName || '(anonymous)'}${f.url ? ` @ ${f.url.split('?')[0]!.split('/').pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`;
          self.set(key, (self.get(key) ?? 0) + n.selfSize);
          total += n.selfSize;
        }
        for (const c of n.children) walk(c);
      };
      walk(profile.head);
      const mib = (b: number) => Math.round((b / 2 ** 20) * 100) / 100;
      return {
        mibPerSecond: mib(total / Math.max(0.001, seconds)),
        totalMiB: mib(total),
        top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([frame, b]) => ({ frame, mib: mib(b) })),
      };
    },
  };
}

export interface PanelResult {
  capture: { events: number; wsMessages: number; pollRequests: number };
  /** Empty panel page: navigation start to load (ms). */
  pageLoadMs: number | null;
  /** Capture handed to the store → overview painted (ms). */
  openMs: number | null;
  /** How the capture was handed over: the tab's history in chunks (DevTools opening), or one new list (resetLive). */
  openPath?: 'history' | 'reset';
  /** Panel JS heap after the capture is shown (MiB). */
  heapMiB: number | null;
  /**
   * JS heaps after both live phases and a forced GC: the panel page, and its
   * dedicated workers (the analysis worker's mirror of the events); null
   * workers when the panel runs none.
   */
  heapEnd?: { panelMiB: number | null; workersMiB: number | null; workers: number };
  /** Frames with the overview shown and no traffic (the control). */
  idle?: LiveResult | null;
  live: LiveResult | null;
  /** The same stream with the WebSocket channel open in detail. */
  liveDetail?: LiveResult | null;
  interactions: Interaction[];
  notes: string[];
}

/** In-page helpers: interaction timing (DOM settle + next frame) and frame recording. */
export const PANEL_PROBE = `(() => {
  if (globalThis.__benchProbe) return true;
  const probe = (globalThis.__benchProbe = { lastInput: 0, lastMutation: 0, frames: [], longTasks: [], recording: false });
  for (const type of ['input', 'change', 'click', 'wheel', 'keydown']) {
    document.addEventListener(type, (e) => { probe.lastInput = e.timeStamp; }, true);
  }
  new MutationObserver(() => { probe.lastMutation = performance.now(); }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  try {
    new PerformanceObserver((list) => { if (probe.recording) for (const e of list.getEntries()) probe.longTasks.push(e.duration); }).observe({ type: 'longtask' });
  } catch {}
  probe.recent = [];
  const frame = () => {
    const t = performance.now();
    if (probe.recording) probe.frames.push(t);
    probe.recent.push(t);
    if (probe.recent.length > 600) probe.recent.splice(0, 300);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  /**
   * Resolve with ms from the last input to the frame that showed its result: once the DOM has
   * been quiet for 150 ms (and shows the \`ready\` selector, if given), the first
   * animation-frame callback that ran after the last change.
   */
  probe.settle = (ready) => new Promise((resolve) => {
    const started = probe.lastInput;
    const check = () => {
      // A view that fills in asynchronously (an analysis worker) is done only once its content is there.
      if (ready && !document.querySelector(ready) && performance.now() - started < 30000) return setTimeout(check, 5);
      const done = Math.max(probe.lastMutation, started);
      if (performance.now() - done < 150) return setTimeout(check, 20);
      const shown = probe.recent.find((t) => t >= done);
      resolve((shown ?? performance.now()) - started);
    };
    setTimeout(check, 0);
  });
  return true;
})()`;

async function rectCenter(page: Target, selector: string): Promise<{ x: number; y: number } | null> {
  return page.evaluate<{ x: number; y: number } | null>(`(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    if (!el) return null;
    el.scrollIntoView({ block: 'center' });
    const r = el.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  })()`);
}

async function click(page: Target, at: { x: number; y: number }): Promise<void> {
  for (const type of ['mousePressed', 'mouseReleased'] as const) {
    await page.send('Input.dispatchMouseEvent', { type, x: at.x, y: at.y, button: 'left', clickCount: 1 });
  }
}

export async function focus(page: Target, selector: string): Promise<boolean> {
  return page.evaluate<boolean>(`(() => { const el = document.querySelector(${JSON.stringify(selector)}); if (!el) return false; el.focus(); el.select?.(); return true; })()`);
}

/** Empty a text field the way a user does: select all, Backspace. */
export async function clearInput(page: Target, selector: string): Promise<void> {
  if (!(await focus(page, selector))) return;
  for (const type of ['rawKeyDown', 'keyUp'] as const) {
    await page.send('Input.dispatchKeyEvent', { type, key: 'Backspace', code: 'Backspace', windowsVirtualKeyCode: 8 });
  }
}

/** Used JS heap (MiB) of the panel page and of its dedicated workers, each after a forced GC. */
async function heaps(panel: Target): Promise<{ panelMiB: number | null; workersMiB: number | null; workers: number }> {
  const sessions: string[] = [];
  const off = panel.on('Target.attachedToTarget', (p: { sessionId: string; targetInfo: { type: string } }) => {
    if (p.targetInfo.type === 'worker') sessions.push(p.sessionId);
  });
  await panel.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  await sleep(300);
  off();
  const usage = async (send: <T>(method: string) => Promise<T>) => {
    await send('HeapProfiler.collectGarbage').catch(() => {});
    const h = await send<{ usedSize: number }>('Runtime.getHeapUsage').catch(() => null);
    return h ? h.usedSize / 2 ** 20 : null;
  };
  const panelMiB = await usage((m) => panel.send(m));
  let workersMiB: number | null = null;
  for (const s of sessions) {
    const mib = await usage((m) => panel.cdp.send(m, {}, s));
    if (mib !== null) workersMiB = (workersMiB ?? 0) + mib;
  }
  return { panelMiB, workersMiB, workers: sessions.length };
}

interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: AllocationNode[];
}

/** A sampling heap profile as self bytes per function and per stack of its four innermost frames (outermost first), largest first. */
function allocationTable(head: AllocationNode): { totalMiB: number; functions: [string, number][]; stacks: [string, number][] } {
  const functions = new Map<string, number>();
  const stacks = new Map<string, number>();
  let total = 0;
  const name = (n: AllocationNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}`;
  const walk = (n: AllocationNode, path: string[]) => {
    const here = [...path, name(n)];
    if (n.selfSize) {
      total += n.selfSize;
      functions.set(here[here.length - 1]!, (functions.get(here[here.length - 1]!) ?? 0) + n.selfSize);
      const key = here.slice(-4).join(' < ');
      stacks.set(key, (stacks.get(key) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, here);
  };
  walk(head, []);
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, v]): [string, number] => [k, Math.round((v / 2 ** 20) * 100) / 100]);
  return { totalMiB: total / 2 ** 20, functions: top(functions), stacks: top(stacks) };
}

/**
 * With RI_BENCH_PROFILE=1, prints where the panel's main thread spent a phase
 * (self time per function; build with `--minify false` to read the names).
 */
async function profiled<T>(page: Target, phase: string, run: () => Promise<T>): Promise<T> {
  if (!process.env.RI_BENCH_PROFILE) return run();
  await startProfile(page);
  const value = await run();
  const p = await stopProfile(page, 25);
  console.log(`  profile ${phase}: ${fmt(p.totalMs)} ms busy\n${p.top.map((h) => `    ${fmt(h.selfMs)} ms ${h.frame}`).join('\n')}`);
  return value;
}

/** Run one interaction `repeat` times; each is timed in the page from its input event. */
async function timeInteraction(page: Target, name: string, repeat: number, act: (i: number) => Promise<boolean>, ready?: string): Promise<Interaction> {
  const ms: number[] = [];
  const storeVersion = 'globalThis.__riPanel.store.version';
  try {
    const before = await page.evaluate<number>(storeVersion);
    await profiled(page, name, async () => {
      for (let i = 0; i < repeat; i++) {
        if (!(await act(i))) throw new Error('control not found in the panel');
        ms.push(await page.evaluate<number>(`globalThis.__benchProbe.settle(${JSON.stringify(ready ?? null)})`));
      }
    });
    return { name, ms, summary: summarize(ms), storeUpdates: (await page.evaluate<number>(storeVersion)) - before };
  } catch (e) {
    return { name, ms, summary: summarize(ms), error: (e as Error).message };
  }
}

/** Frame intervals and long tasks in the panel while the inspected page receives 1,000 WebSocket messages/s through the real hooks. */
async function measureLive(page: Target, panel: Target, server: BenchServer, seconds: number, phase: string, rate = 1000): Promise<LiveResult> {
  // Count arrivals on the bridge (the store may re-base its list while live events stream in).
  // Counted in a loop: a filtered copy of 100k events would add the bench's own garbage to the phase it measures.
  const liveCount = `(() => { let n = 0; for (const e of globalThis.__riPanel.events()) if (e.type === 'ws.message') n++; return n; })()`;
  const before = await panel.evaluate<number>(liveCount);
  const tracing = await startTracing(panel, `panel-${phase}`);
  const sampling = process.env.RI_BENCH_ALLOC ? await startAllocSampling(panel) : null;
  const startedAt = Date.now();
  await panel.evaluate('(() => { const p = globalThis.__benchProbe; p.frames = []; p.longTasks = []; p.recording = true; return true; })()');
  await profiled(panel, phase, async () => {
    if (rate === 0) return sleep(seconds * 1000);
    await page.evaluate(`__bench.wsIn(${JSON.stringify(`${server.wsOrigin}/ws`)}, ${rate * seconds}, 0, ${rate})`, (seconds + 30) * 1000);
    // Keep recording until the pipeline has delivered what the page received (or 10 s more).
    for (let i = 0; i < 100; i++) {
      const n = (await panel.evaluate<number>(liveCount)) - before;
      if (n >= rate * seconds) break;
      await sleep(100);
    }
  });
  const rec = await panel.evaluate<{ frames: number[]; longTasks: number[] }>('(() => { const p = globalThis.__benchProbe; p.recording = false; return { frames: p.frames, longTasks: p.longTasks }; })()');
  const alloc = sampling ? await sampling.stop((Date.now() - startedAt) / 1000) : null;
  const work = await tracing.stop();
  const received = (await panel.evaluate<number>(liveCount)) - before;
  const intervals = rec.frames.slice(1).map((t, i) => t - rec.frames[i]!);
  return {
    messagesPerSecond: rate,
    seconds,
    received,
    frames: intervals.length,
    frameMs: { p50: percentile(intervals, 50), p95: percentile(intervals, 95), max: Math.max(0, ...intervals) },
    framesOver16ms: intervals.filter((x) => x > 16.7 * 1.25).length,
    framesOver50ms: intervals.filter((x) => x > 50).length,
    longTasks: rec.longTasks.length,
    longestTaskMs: Math.max(0, ...rec.longTasks),
    work,
    alloc,
  };
}

function liveLine(l: LiveResult): string {
  const w = l.work;
  const work = w
    ? `\n    main-thread work per frame (trace), wall: ${w.frames} frames, p50 ${fmt(w.workMs.p50, 1)} ms, p95 ${fmt(w.workMs.p95, 1)} ms, max ${fmt(w.workMs.max, 1)} ms, ${w.framesOver16ms} frames over 16 ms; thread busy ${fmt(w.busyShare * 100)}%` +
      (w.cpuMs ? `\n    main-thread work per frame (trace), CPU: p50 ${fmt(w.cpuMs.p50, 1)} ms, p95 ${fmt(w.cpuMs.p95, 1)} ms, max ${fmt(w.cpuMs.max, 1)} ms, ${w.cpuFramesOver16ms} frames over 16 ms` : '') +
      `\n    busiest functions (self): ${w.top.slice(0, 5).map((f) => `${fmt(f.ms)} ms ${f.frame}`).join('; ')}` +
      w.heavyFrames.map((f) => `\n    frame at +${fmt(f.atMs)} ms: ${fmt(f.workMs, 1)} ms work (CPU ${fmt(f.cpuMs, 1)} ms); tasks ≥ 4 ms: ${f.tasks.map((t) => `${fmt(t.ms)} ms (CPU ${fmt(t.cpuMs, 1)}) ${t.entry} {${t.events.slice(0, 4).map((x) => `${x.name} ${fmt(x.ms, 1)}`).join(', ')}} [${t.top.slice(0, 3).map((x) => `${fmt(x.ms, 1)} ${x.frame.split(' @ ')[0]}`).join(', ')}]`).join(' + ') || 'none'}`).join('') +
      `\n    GC: ${w.gc.minor} minor, ${w.gc.major} major${w.gc.majors.map((g) => ` [+${fmt(g.atMs)} ms: ${fmt(g.ms, 1)} ms, CPU ${fmt(g.cpuMs, 1)} ms, ${fmt(g.beforeMiB, 1)} → ${fmt(g.afterMiB, 1)} MiB]`).join('')}; JS heap allocated ${fmt(w.gc.allocMiBPerSecond, 2)} MiB/s (heap counter growth)` +
      w.longTasks.map((t) => `\n    long task at +${fmt(t.atMs)} ms: ${fmt(t.ms)} ms, CPU ${fmt(t.cpuMs, 1)} ms (${t.entry}; GC ${fmt(t.gcMs, 1)} ms; ${t.events.map((x) => `${x.name} ${fmt(x.ms, 1)}`).join(', ')}): ${t.top.map((f) => `${fmt(f.ms, 1)} ms ${f.frame}`).join('; ')}`).join('')
    : '\n    (no trace frames)';
  const alloc = l.alloc ? `\n    allocations (sampled): ${fmt(l.alloc.mibPerSecond, 2)} MiB/s (${fmt(l.alloc.totalMiB, 1)} MiB); top: ${l.alloc.top.slice(0, 8).map((f) => `${fmt(f.mib, 2)} MiB ${f.frame}`).join('; ')}` : '';
  return `${fmt(l.received)} events arrived in ${l.seconds} s; ${l.frames} frames, interval p50 ${fmt(l.frameMs.p50, 1)} ms, p95 ${fmt(l.frameMs.p95, 1)} ms, max ${fmt(l.frameMs.max)} ms; ${l.framesOver16ms} frames over 16 ms (+25%), ${l.framesOver50ms} over 50 ms; ${l.longTasks} long tasks, longest ${fmt(l.longestTaskMs)} ms${work}${alloc}`;
}

/** Run the panel section. */
export async function runPanel(opts: { extensionDir: string; quick: boolean; log: (line: string) => void }): Promise<PanelResult> {
  const notes: string[] = [];
  const wsMessages = opts.quick ? 10_000 : 100_000;
  const pollRequests = opts.quick ? 500 : 5_000;
  // One poll every 2 s: the WebSocket rate that puts wsMessages on the same span.
  const events = synthesizeCapture({ events: wsMessages + pollRequests * 3, parts: ['ws', 'poll'], wsRatePerSecond: wsMessages / (pollRequests * 2) });
  const capture = {
    events: events.length,
    wsMessages: events.filter((e) => e.type === 'ws.message').length,
    pollRequests: events.filter((e) => e.type === 'http.request').length,
  };
  const server = await startBenchServer();
  const browser: Browser = await launchChromium({ extensionDir: opts.extensionDir });
  const result: PanelResult = { capture, pageLoadMs: null, openMs: null, heapMiB: null, live: null, interactions: [], notes };
  try {
    const { page, tabId } = await openBenchTab(browser, server, 'panel');
    const panel = await openPanel(browser, tabId);
    if (!panel) throw new Error('the panel page exposed no __riPanel bridge');
    const hasStore = await panel.evaluate<boolean>('!!(globalThis.__riPanel.store && globalThis.__riPanel.store.resetLive)');
    if (!hasStore) throw new Error('the panel exposes no store (__riPanel.store.resetLive)');
    await panel.send('Performance.enable');
    result.pageLoadMs = await panel.evaluate<number>(`(() => { const n = performance.getEntriesByType('navigation')[0]; return n ? n.loadEventEnd - n.startTime : null; })()`);
    await panel.evaluate(PANEL_PROBE);

    // Hand the capture over (download and parse not timed: they stand for the bridge delivering history).
    // The history path: chunks as the bridge receives them from the background, each a port message. Chromium's
    // extension messaging carries a message as JSON bytes and, when it arrives, makes a V8 string of them and
    // parses it (extensions/renderer messaging_util.cc MessageToV8: gin::StringToV8, then v8::JSON::Parse). So the
    // panel holds the chunks as UTF-8 bytes (ArrayBuffers, outside the JS heap) and decodes each into a string
    // when it delivers it: the string dies young, as in the product. (Until 2026-11-30 the chunks were held as
    // 33 MB of strings through the open, whose collection the panel's first major GC paid for.)
    const historyChunks = process.env.RI_BENCH_OPEN !== 'reset';
    result.openPath = historyChunks ? 'history' : 'reset';
    if (historyChunks) {
      const chunks: Buffer[] = [];
      const ends: number[] = [];
      let bytes = 0;
      for (let i = 0; i < events.length; i += 1000) {
        const chunk = Buffer.from(JSON.stringify(events.slice(i, i + 1000)));
        chunks.push(chunk);
        ends.push((bytes += chunk.length));
      }
      server.serve('/capture.json', Buffer.concat(chunks));
      await panel.evaluate(
        `fetch(${JSON.stringify(`${server.origin}/capture.json`)}).then((r) => r.arrayBuffer()).then((b) => { const ends = ${JSON.stringify(ends)}; globalThis.__benchChunks = ends.map((end, i) => b.slice(i ? ends[i - 1] : 0, end)); return b.byteLength; })`,
        120_000,
      );
    } else {
      server.serve('/capture.json', JSON.stringify(events));
      await panel.evaluate(`fetch(${JSON.stringify(`${server.origin}/capture.json`)}).then((r) => r.json()).then((e) => { globalThis.__benchEvents = e; return e.length; })`, 120_000);
    }
    const allocations = process.env.RI_BENCH_ALLOCATIONS;
    if (allocations) {
      await panel.send('HeapProfiler.enable');
      await panel.send('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: process.env.RI_BENCH_ALLOCATIONS_GARBAGE === '1', includeObjectsCollectedByMinorGC: false });
    }
    result.openMs = await profiled(panel, 'open', () => panel.evaluate<number>(`new Promise((resolve) => {
      const t0 = performance.now();
      const store = globalThis.__riPanel.store;
      let delivered = () => true;
      if (${historyChunks}) {
        // One ArrayBuffer per chunk, dropped once delivered (as a message's bytes are once parsed).
        const chunks = globalThis.__benchChunks;
        delete globalThis.__benchChunks;
        const decoder = new TextDecoder();
        let i = 0;
        const total = chunks.length;
        delivered = () => i === total;
        // As on opening DevTools: an empty list, history before the bridge is in sync, then 'synced' (setConnection) ends the wait.
        store.clear();
        store.setConnection({ connected: false, dropped: 0, recording: true });
        // One task per chunk, as port messages come (a MessageChannel: nested setTimeouts are clamped to 4 ms).
        const tasks = new MessageChannel();
        const next = () => {
          if (i < total) {
            const events = JSON.parse(decoder.decode(chunks[i]));
            chunks[i++] = null;
            // As live.ts does: a chunk with the page's own navigation (a top-level doc.start) starts the list anew.
            if (events.some((e) => e.type === 'doc.start' && e.frameId === 0)) store.resetLive(events, true);
            else store.appendLive(events, true);
            tasks.port2.postMessage(0);
            return;
          }
          store.setConnection({ connected: true, dropped: 0, recording: true });
          // Let the chunks go (an open channel's handler would keep them alive).
          tasks.port1.onmessage = null;
          tasks.port1.close();
        };
        tasks.port1.onmessage = next;
        next();
      } else store.resetLive(globalThis.__benchEvents);
      const wait = () => {
        const text = document.body.textContent || '';
        // Shown: the channels, from an analysis of every event handed over (history comes in chunks).
        const whole = delivered() && !store.analysing();
        if (whole && (document.querySelector('[data-channel]') || /socket\\.io/.test(text))) requestAnimationFrame((ft) => resolve(Math.max(ft, performance.now()) - t0));
        else if (performance.now() - t0 > 30000) resolve(-1);
        else setTimeout(wait, 5);
      };
      wait();
    })`));
    if (result.openMs !== null && result.openMs < 0) {
      notes.push('the overview never showed the channels within 30 s');
      result.openMs = null;
    }
    await panel.evaluate('delete globalThis.__benchEvents; delete globalThis.__benchChunks; true');
    if (allocations) {
      // The open's allocations that outlived the young generation: those still alive after the hand-over to the
      // worker and a full GC, or with RI_BENCH_ALLOCATIONS_GARBAGE=1 also those a major GC collected, by function.
      await sleep(3000);
      await panel.send('HeapProfiler.collectGarbage');
      const { profile } = await panel.send<{ profile: { head: AllocationNode } }>('HeapProfiler.stopSampling');
      writeFileSync(allocations, JSON.stringify(allocationTable(profile.head), null, 1));
      notes.push('RI_BENCH_ALLOCATIONS: the open ran under the sampling heap profiler, and its heap was read after a 3 s wait and a forced GC; open time and heap are not comparable with other runs');
    }
    const heap = await panel.send<{ usedSize: number }>('Runtime.getHeapUsage').catch(() => null);
    result.heapMiB = heap ? heap.usedSize / 2 ** 20 : null;
    opts.log(`  panel open with ${fmt(capture.wsMessages)} msgs + ${fmt(capture.pollRequests)} polls: ${fmt(result.openMs)} ms (page load ${fmt(result.pageLoadMs)} ms), heap ${fmt(result.heapMiB, 1)} MiB`);

    // Live: the inspected page receives 1,000 msgs/s through the real hooks; record panel frames.
    // RI_BENCH_LIVE_SECONDS: longer live phases, to see how often the GCs of a steady stream come.
    const seconds = Number(process.env.RI_BENCH_LIVE_SECONDS) || (opts.quick ? 3 : 8);
    // Control: the same frame recording with no traffic, for the machine's own noise (other processes share the 2 cores).
    result.idle = await measureLive(page, panel, server, seconds, 'idle (no traffic)', 0);
    opts.log(`  panel idle: ${liveLine(result.idle)}`);
    result.live = await measureLive(page, panel, server, seconds, 'live');
    opts.log(`  panel live at ${result.live.messagesPerSecond} msgs/s: ${liveLine(result.live)}`);

    // Interactions (trusted input through CDP), in the order a user would do them.
    const repeat = opts.quick ? 2 : 5;
    const overviewFilter = 'input[aria-label="Filter channels by URL"]';
    result.interactions.push(
      await timeInteraction(panel, 'overview URL filter (one keystroke)', repeat, async (i) => {
        if (!(await focus(panel, overviewFilter))) return false;
        await panel.send('Input.insertText', { text: ['socket', 'api', 'notif', 'events', 'app'][i % 5]! });
        return true;
      }),
    );
    await clearInput(panel, overviewFilter);
    await panel.evaluate('globalThis.__benchProbe.settle()');
    result.interactions.push(
      await timeInteraction(panel, `open the WebSocket channel (${fmt(capture.wsMessages)}-message list)`, 1, async () => {
        const at = await rectCenter(panel, 'tr[data-channel]:has([data-kind="websocket"]) a.endpoint-link');
        if (!at) return false;
        await click(panel, at);
        return true;
      }, '.detail .vrow'),
    );
    const messageFilter = 'input[aria-label="Filter messages by regular expression"]';
    const queries = ['chat', 'tick.*10', 'price":10[0-2]', 'room', 'i":9'];
    result.interactions.push(
      await timeInteraction(panel, 'message regex filter (one keystroke)', repeat, async (i) => {
        if (!(await focus(panel, messageFilter))) return false;
        await panel.send('Input.insertText', { text: queries[i % queries.length]! });
        return true;
      }),
    );
    await clearInput(panel, messageFilter);
    await panel.evaluate('globalThis.__benchProbe.settle()');
    result.interactions.push(
      await timeInteraction(panel, 'toggle direction filter (↓ in)', repeat, async () => {
        const at = await rectCenter(panel, '[aria-label="Message filters"] label input[type="checkbox"]');
        if (!at) return false;
        await click(panel, at);
        return true;
      }),
    );
    result.interactions.push(
      await timeInteraction(panel, 'timeline wheel zoom', repeat, async (i) => {
        const at = await rectCenter(panel, '.detail .u-over');
        if (!at) return false;
        await panel.send('Input.dispatchMouseEvent', { type: 'mouseWheel', x: at.x, y: at.y, deltaX: 0, deltaY: i % 2 ? 240 : -240 });
        return true;
      }),
    );
    result.interactions.push(
      // Programmatic (scrollTop), so the step is the list's own cost without Chromium's smooth-scroll animation of a wheel.
      await timeInteraction(panel, 'message list scroll (600 px)', repeat, async () =>
        panel.evaluate<boolean>(`(() => {
          const list = document.querySelector('.detail .vlist');
          if (!list) return false;
          globalThis.__benchProbe.lastInput = performance.now();
          list.scrollTop = Math.max(0, list.scrollTop - 600);
          return true;
        })()`),
      ),
    );
    for (const it of result.interactions) {
      opts.log(`  panel ${it.name}: ${it.error ? `FAILED (${it.error})` : `median ${fmt(it.summary.median)} ms, max ${fmt(it.summary.max)} ms`}`);
    }
    // Live again, with the WebSocket channel open in detail (its message list, timeline and charts follow the stream).
    result.liveDetail = await measureLive(page, panel, server, seconds, 'live (channel open)');
    opts.log(`  panel live with the channel open: ${liveLine(result.liveDetail)}`);
    result.heapEnd = await heaps(panel);
    if (process.env.RI_BENCH_HEAP_SNAPSHOT) {
      const chunks: string[] = [];
      const off = panel.on('HeapProfiler.addHeapSnapshotChunk', (p: { chunk: string }) => chunks.push(p.chunk));
      await panel.send('HeapProfiler.enable');
      await panel.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      off();
      writeFileSync(process.env.RI_BENCH_HEAP_SNAPSHOT, chunks.join(''));
    }
    opts.log(`  heaps at the end: panel ${fmt(result.heapEnd.panelMiB, 1)} MiB, ${result.heapEnd.workers} worker(s) ${fmt(result.heapEnd.workersMiB, 1)} MiB; ${await panel.evaluate<number>('globalThis.__riPanel.store.events().length')} events held`);
    await panel.close();
    await page.close();
  } finally {
    await browser.close();
    await server.close();
  }
  return result;
}

/** The section's table. */
export function panelTable(r: PanelResult): string {
  const lines = [
    `Panel (capture: ${fmt(r.capture.wsMessages)} WebSocket messages + ${fmt(r.capture.pollRequests)} polling requests, ${fmt(r.capture.events)} events)`,
    `open (${r.openPath === 'reset' ? 'one new list' : "the tab's history in chunks"}): ${fmt(r.openMs)} ms to the painted overview (empty panel page load ${fmt(r.pageLoadMs)} ms); panel heap ${fmt(r.heapMiB, 1)} MiB`,
    ...(r.heapEnd ? [`heaps after the live phases (after GC): panel ${fmt(r.heapEnd.panelMiB, 1)} MiB, analysis worker${r.heapEnd.workers === 1 ? '' : 's'} ${r.heapEnd.workers ? `${fmt(r.heapEnd.workersMiB, 1)} MiB` : 'none'}`] : []),
  ];
  if (r.idle) lines.push(`no traffic (control), overview: ${liveLine(r.idle)}`);
  if (r.live) lines.push(`live at ${fmt(r.live.messagesPerSecond)} msgs/s, overview: ${liveLine(r.live)}`);
  if (r.liveDetail) lines.push(`live at ${fmt(r.liveDetail.messagesPerSecond)} msgs/s, channel open: ${liveLine(r.liveDetail)}`);
  lines.push(
    table(
      ['interaction', 'median ms', 'min ms', 'max ms', 'n', 'store updates'],
      r.interactions.map((i) => [i.name, i.error && !i.ms.length ? `failed: ${i.error}` : fmt(i.summary.median), fmt(i.summary.min), fmt(i.summary.max), String(i.summary.n), String(i.storeUpdates ?? '')]),
    ),
    ...r.notes,
  );
  return lines.join('\n');
}
