/**
 * Soak (issue 14, "Also expected"): the built extension in real Chromium, the
 * bench page receiving 1,000 WebSocket messages/s through the real hooks and
 * pipeline, the real panel page open on its tab, for RI_SOAK_MINUTES (default
 * 30). Not part of the default run nor of CI: `--only soak`.
 *
 * Every RI_SOAK_SAMPLE_SECONDS (default 60; 30 for runs of 10 minutes or less)
 * it samples:
 *  - JS heaps after a forced GC (CDP HeapProfiler.collectGarbage, then
 *    Runtime.getHeapUsage, as bench/panel.ts reads them): the inspected page,
 *    the extension's service worker, the panel page and its dedicated workers
 *    (the analysis worker); the panel's DOM counters (they grow by one node per
 *    typed-and-cleared filter below: a plain <input> typed into through CDP does
 *    the same and a filter set from script does not, so Chromium's editing holds
 *    it, not the panel; BENCHMARKS.md); the proportional set size
 *    of every Chromium process (/proc/<pid>/smaps_rollup);
 *  - the extension origin's IndexedDB usage (CDP Storage.getUsageAndQuota),
 *    where the background persists its buffer (src/background/idb-store.ts),
 *    and what that buffer holds (its stats: events and characters);
 *  - messages received by the page's handler, recorded (ws.message events the
 *    background gave a seq and the panel received: counted by a listener on
 *    the panel's bridge, which also checks that seqs and the server's message
 *    indexes have no holes), and counted losses (the background's stats:
 *    dropped on the page, in the relay, evicted by the buffer's bounds, rejected);
 *  - panel responsiveness: rAF frame intervals and long tasks over
 *    RI_SOAK_FRAME_SECONDS (default 5) with a Chrome trace of them
 *    (bench/trace.ts: main-thread work per frame, wall and CPU), then typing in
 *    the overview's URL filter as trusted input (CDP Input.insertText, then a
 *    Backspace), timed from the input event to the first frame painted after
 *    the panel's DOM changed, and to the first frame after the DOM settled
 *    (bench/panel.ts's measure, which live traffic can lengthen).
 *
 * The verdict: heap and IndexedDB slope over the second half of the stream,
 * the buffer against its bounds (src/shared/constants.ts), the loss equation
 * sent − recorded − counted = 0 once the stream has drained, and the panel's
 * frame work and interaction latency in the first sample against the last.
 */
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, sleep, type Browser, type Target } from './cdp.ts';
import { clearInput, focus, PANEL_PROBE } from './panel.ts';
import { openBenchTab, openPanel } from './relay.ts';
import { startBenchServer } from './server.ts';
import { fmt, percentile, round, table } from './stats.ts';
import { startTracing } from './trace.ts';
import { STORE_MAX_CHARS, TAB_MAX_EVENTS } from '../src/shared/constants.ts';
import { PANEL_MAX_EVENTS } from '../src/panel/store.ts';

export interface SoakCounts {
  /** Messages the page's own handler received (the server sent as many; at the end, exactly n). */
  received: number;
  /** Incoming ws.message events of the soak's socket that the panel received (each was given a seq by the background). */
  recorded: number;
  /** The background's counters for the tab (src/background/hub.ts statsOf). */
  dropped: { page: number; relay: number; background: number };
  rejected: number;
  /** Messages whose index the panel never saw in order (a hole in the server's 0..n−1), and repeats. */
  indexGaps: number;
  duplicates: number;
  /** Seqs the panel never received (a hole in the background's sequence as the panel saw it). */
  seqGaps: number;
  /** Events the panel's bridge let go to stay within its own bound. */
  panelEvicted: number;
  /** received − recorded − dropped before the buffer (page + relay + rejected): in flight while streaming, lost at the end. */
  unaccounted: number;
}

export interface SoakSample {
  /** Seconds since the stream started (0: just before it). */
  atS: number;
  phase: 'before' | 'streaming' | 'drained';
  counts: SoakCounts;
  /** What the background's buffer holds for the tab. */
  buffer: { events: number; chars: number; workerStartedAt: number } | null;
  /** Events the panel's store holds (its analysed list). */
  panelEvents: number | null;
  /** JS heap used after a forced GC (MiB). */
  heapMiB: { page: number | null; serviceWorker: number | null; panel: number | null; panelWorkers: number | null; panelWorkerCount: number };
  panelDom: { nodes: number; listeners: number; documents: number } | null;
  /** IndexedDB usage of the extension origin as its quota manager reports it (MiB), and the origin's whole usage. */
  idbMiB: number | null;
  /** The origin's IndexedDB files in the profile (LevelDB and blob directories; MiB). */
  idbDiskMiB: number | null;
  originMiB: number | null;
  /** Proportional set size of every Chromium process (MiB). */
  chromiumPssMiB: number | null;
  frames: { n: number; p50: number; p95: number; max: number; longTasks: number; longestTaskMs: number };
  /** From the trace: main-thread work per frame, wall and CPU (ms), and the thread's busy share. */
  work: { frames: number; p95: number; max: number; cpuP95: number | null; busyShare: number; longTasks: number } | null;
  /** Overview URL filter, typed and cleared: input event → first frame after the panel's DOM changed (ms). */
  filter: { typeMs: number | null; clearMs: number | null };
  /** How long taking this sample took (s). */
  sampleS: number;
}

export interface SoakTrend {
  /** Least-squares slope over the second half of the stream (MiB per 10 minutes). */
  slopePer10Min: number | null;
  /** Fitted change across the second half (MiB) and the mean level (MiB). */
  growthMiB: number | null;
  meanMiB: number | null;
  /**
   * flat: |growth| ≤ max(1 MiB, 5% of the level); grows / falls beyond it either way (only
   * growth is a leak: a store that oscillates, as LevelDB's files do, can fit a falling line).
   */
  verdict: 'flat' | 'grows' | 'falls' | null;
}

export interface SoakVerdict {
  trends: Record<'page' | 'serviceWorker' | 'panel' | 'panelWorkers' | 'idb' | 'idbDisk' | 'chromiumPss', SoakTrend>;
  /** Highest buffer held against its bounds (TAB_MAX_EVENTS events, STORE_MAX_CHARS characters). */
  bufferMax: { events: number; chars: number; maxEvents: number; maxChars: number; within: boolean };
  panelMaxEvents: { held: number; bound: number; within: boolean };
  /** sent − recorded − counted drops at the end (must be 0). */
  loss: number | null;
  drainedAfterS: number | null;
  workerRestarts: number;
  first: { workP95: number | null; cpuP95: number | null; frameP95: number; typeMs: number | null; clearMs: number | null } | null;
  last: { workP95: number | null; cpuP95: number | null; frameP95: number; typeMs: number | null; clearMs: number | null } | null;
  /** The panel's DOM nodes (Memory.getDOMCounters: attached and detached) in the first and last sample while streaming. */
  panelDomNodes: { first: number | null; last: number | null };
}

export interface SoakResult {
  minutes: number;
  rate: number;
  sampleSeconds: number;
  frameSeconds: number;
  /** Messages the server was asked to send (rate × seconds) and sent. */
  sent: number;
  samples: SoakSample[];
  verdict: SoakVerdict;
  notes: string[];
}

/** In-page receiver: as `__bench.wsIn(url, n, 0, rate)` (bench/page.ts), with its count readable while it runs. */
const RECEIVER = (url: string, n: number, rate: number) => `(() => {
  const s = (globalThis.__soak = { received: 0, bytes: 0, opened: false, error: false, closeCode: null });
  const ws = new WebSocket(${JSON.stringify(url)});
  ws.addEventListener('open', () => { s.opened = true; ws.send(${JSON.stringify(`pace ${n} ${rate}`)}); }, { once: true });
  ws.addEventListener('error', () => { s.error = true; });
  ws.addEventListener('close', (e) => { s.closeCode = e.code; });
  ws.onmessage = (e) => {
    s.bytes += e.data.length;
    if (++s.received === ${n}) ws.close();
  };
  return true;
})()`;

/**
 * Panel-side counter on the bridge's own stream (PanelBridge.subscribe: every
 * history and live event the panel receives, once, in seq order). O(1) memory:
 * it keeps counters only, so it adds nothing that grows to the heap it measures.
 */
const PANEL_COUNTER = `(() => {
  const c = (globalThis.__soakCounter = { recorded: 0, nextIndex: 0, indexGaps: 0, duplicates: 0, lastSeq: 0, seqGaps: 0, conn: null, droppedEvents: 0 });
  globalThis.__riPanel.bridge.subscribe((u) => {
    if (u.kind !== 'events') return;
    for (const e of u.events) {
      if (c.lastSeq && e.seq > c.lastSeq + 1) c.seqGaps += e.seq - c.lastSeq - 1;
      if (e.seq > c.lastSeq) c.lastSeq = e.seq;
      if (e.type === 'ws.create' && /\\/ws\\?soak=/.test(e.url)) c.conn = e.conn;
      if (e.type === 'capture.dropped') c.droppedEvents += e.count;
      if (e.type !== 'ws.message' || e.dir !== 'in' || e.conn !== c.conn) continue;
      const m = /"i":(\\d+)/.exec(e.data.data);
      if (!m) continue;
      const i = Number(m[1]);
      if (i < c.nextIndex) { c.duplicates++; continue; }
      c.indexGaps += i - c.nextIndex;
      c.nextIndex = i + 1;
      c.recorded++;
    }
  });
  return true;
})()`;

interface TabStatsLike {
  events: number;
  chars: number;
  lastSeq: number;
  dropped: { page: number; relay: number; background: number };
  rejected: number;
  workerStartedAt: number;
}

/** Least-squares slope of (x, y) (y per x), null with fewer than 3 points. */
function slope(points: Array<[number, number]>): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx ? sxy / sxx : null;
}

function trend(samples: SoakSample[], read: (s: SoakSample) => number | null): SoakTrend {
  const points = samples.flatMap((s): Array<[number, number]> => {
    const y = read(s);
    return y === null ? [] : [[s.atS / 60, y]];
  });
  const b = slope(points);
  if (b === null) return { slopePer10Min: null, growthMiB: null, meanMiB: null, verdict: null };
  const span = points[points.length - 1]![0] - points[0]![0];
  const mean = points.reduce((s, p) => s + p[1], 0) / points.length;
  const growth = b * span;
  const noise = Math.max(1, 0.05 * mean);
  return { slopePer10Min: round(b * 10, 3), growthMiB: round(growth, 2), meanMiB: round(mean, 2), verdict: growth > noise ? 'grows' : growth < -noise ? 'falls' : 'flat' };
}

/** Used JS heap (MiB) of a target after a forced GC. */
async function heapAfterGc(send: <T>(method: string) => Promise<T>): Promise<number | null> {
  await send('HeapProfiler.collectGarbage').catch(() => {});
  const h = await send<{ usedSize: number }>('Runtime.getHeapUsage').catch(() => null);
  return h ? h.usedSize / 2 ** 20 : null;
}

/** Sum of the proportional set size of Chromium's processes (MiB); null where /proc cannot tell. */
async function chromiumPss(browser: Browser): Promise<number | null> {
  const info = await browser.cdp.send<{ processInfo: Array<{ id: number; type: string }> }>('SystemInfo.getProcessInfo').catch(() => null);
  if (!info) return null;
  let kib = 0;
  let read = 0;
  for (const p of info.processInfo) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p.id}/smaps_rollup`, 'utf8'));
      if (m) {
        kib += Number(m[1]);
        read++;
      }
    } catch {
      // the process ended between the two reads
    }
  }
  return read ? kib / 1024 : null;
}

/** The browser's profile directory, from its command line (/proc/<browser pid>/cmdline). */
async function profileDirOf(browser: Browser): Promise<string | null> {
  const info = await browser.cdp.send<{ processInfo: Array<{ id: number; type: string }> }>('SystemInfo.getProcessInfo').catch(() => null);
  const pid = info?.processInfo.find((p) => p.type === 'browser')?.id;
  if (pid === undefined) return null;
  try {
    const arg = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((a) => a.startsWith('--user-data-dir='));
    return arg ? arg.slice('--user-data-dir='.length) : null;
  } catch {
    return null;
  }
}

/** Bytes of the files under `dir` (0 when it does not exist). */
function duBytes(dir: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    try {
      total += e.isDirectory() ? duBytes(path) : statSync(path).size;
    } catch {
      // removed while we walked (LevelDB compaction, blob cleanup)
    }
  }
  return total;
}

/** The extension origin's IndexedDB files in the profile (MiB): `<origin>.indexeddb.leveldb` and `.blob`. */
function idbOnDisk(profile: string | null, extensionId: string): number | null {
  if (!profile) return null;
  const base = join(profile, 'Default', 'IndexedDB');
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => n.startsWith(`chrome-extension_${extensionId}_`));
  } catch {
    return null;
  }
  return names.reduce((s, n) => s + duBytes(join(base, n)), 0) / 2 ** 20;
}

/**
 * Type in the overview's URL filter (`text`), or clear it (null: select all, Backspace), and time it
 * from the input event to the first frame after the panel's DOM changed. Not bench/panel.ts's
 * "DOM settled for 150 ms": under a live stream the overview changes with every analysis result,
 * so that wait measured the stream (20-30 s in a trial), not the keystroke. The filter renders in
 * the input event's own task (Preact re-renders in a microtask), so the first change after the
 * input is the filter's.
 */
async function typeInFilter(panel: Target, text: string | null): Promise<number | null> {
  const selector = 'input[aria-label="Filter channels by URL"]';
  await panel.evaluate(`(() => {
    const p = globalThis.__benchProbe;
    p.lastInput = Infinity;
    p.soakFirst = 0;
    if (!p.soakObserver) {
      p.soakObserver = new MutationObserver(() => { const t = performance.now(); if (!p.soakFirst && t >= p.lastInput) p.soakFirst = t; });
      p.soakObserver.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    }
    return true;
  })()`);
  if (text === null) await clearInput(panel, selector);
  else {
    if (!(await focus(panel, selector))) return null;
    await panel.send('Input.insertText', { text });
  }
  return panel.evaluate<number | null>(`new Promise((resolve) => {
    const p = globalThis.__benchProbe;
    const t0 = performance.now();
    const check = () => {
      if (!p.soakFirst) return performance.now() - t0 > 10000 ? resolve(null) : setTimeout(check, 5);
      const shown = p.recent.find((t) => t >= p.soakFirst);
      if (shown === undefined) return setTimeout(check, 5);
      resolve(shown - p.lastInput);
    };
    check();
  })`);
}

/** Run the soak section. */
export async function runSoak(opts: { extensionDir: string; quick: boolean; log: (line: string) => void }): Promise<SoakResult> {
  const minutes = Number(process.env.RI_SOAK_MINUTES) || (opts.quick ? 2 : 30);
  const rate = Number(process.env.RI_SOAK_RATE) || 1000;
  const sampleSeconds = Number(process.env.RI_SOAK_SAMPLE_SECONDS) || (minutes <= 10 ? 30 : 60);
  const frameSeconds = Number(process.env.RI_SOAK_FRAME_SECONDS) || 5;
  const streamSeconds = Math.round(minutes * 60);
  const n = rate * streamSeconds;
  const notes: string[] = [];
  const samples: SoakSample[] = [];
  const server = await startBenchServer();
  const browser = await launchChromium({ extensionDir: opts.extensionDir });
  const profileDir = await profileDirOf(browser);
  let drainedAfterS: number | null = null;
  try {
    const { page, tabId } = await openBenchTab(browser, server, 'soak');
    const panel = await openPanel(browser, tabId);
    if (!panel) throw new Error('the panel page exposed no __riPanel bridge');
    await panel.evaluate(PANEL_PROBE);
    await panel.evaluate(PANEL_COUNTER);
    // The panel's dedicated workers (its analysis worker), attached once and kept for every sample.
    const workerSessions = new Set<string>();
    panel.on('Target.attachedToTarget', (p: { sessionId: string; targetInfo: { type: string } }) => {
      if (p.targetInfo.type === 'worker') workerSessions.add(p.sessionId);
    });
    panel.on('Target.detachedFromTarget', (p: { sessionId: string }) => workerSessions.delete(p.sessionId));
    await panel.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
    await panel.send('Memory.enable').catch(() => {});

    const stats = async (): Promise<TabStatsLike | null> => {
      const sw = await browser.serviceWorker();
      return sw.evaluate<TabStatsLike | null>(`self.realtimeInspector.stats(${tabId})`, 20_000).catch(() => null);
    };
    const counts = async (): Promise<{ counts: SoakCounts; st: TabStatsLike | null }> => {
      const page_ = await page.evaluate<{ received: number } | null>('globalThis.__soak ?? null');
      const c = await panel.evaluate<{ recorded: number; indexGaps: number; duplicates: number; seqGaps: number }>('globalThis.__soakCounter');
      const status = await panel.evaluate<{ panelEvicted: number }>('globalThis.__riPanel.stats()');
      const st = await stats();
      const dropped = st?.dropped ?? { page: 0, relay: 0, background: 0 };
      const received = page_?.received ?? 0;
      return {
        st,
        counts: {
          received,
          recorded: c.recorded,
          dropped,
          rejected: st?.rejected ?? 0,
          indexGaps: c.indexGaps,
          duplicates: c.duplicates,
          seqGaps: c.seqGaps,
          panelEvicted: status.panelEvicted,
          unaccounted: received - c.recorded - dropped.page - dropped.relay - (st?.rejected ?? 0),
        },
      };
    };

    let streamStart = 0;
    const takeSample = async (phase: SoakSample['phase']): Promise<SoakSample> => {
      const t0 = Date.now();
      const atS = streamStart ? Math.round((t0 - streamStart) / 1000) : 0;
      const { counts: c, st } = await counts();
      // Responsiveness first (before the forced GCs below disturb the panel).
      const tracing = await startTracing(panel, `soak-${atS}s`);
      await panel.evaluate('(() => { const p = globalThis.__benchProbe; p.frames = []; p.longTasks = []; p.recording = true; return true; })()');
      await sleep(frameSeconds * 1000);
      const rec = await panel.evaluate<{ frames: number[]; longTasks: number[] }>('(() => { const p = globalThis.__benchProbe; p.recording = false; return { frames: p.frames, longTasks: p.longTasks }; })()');
      const work = await tracing.stop();
      const intervals = rec.frames.slice(1).map((t, i) => t - rec.frames[i]!);
      // One keystroke that hides the channel, then clearing it (the channel comes back).
      const typed = await typeInFilter(panel, 'no-such-channel');
      const cleared = await typeInFilter(panel, null);
      const panelEvents = await panel.evaluate<number>('globalThis.__riPanel.store.events().length').catch(() => null);
      const dom = await panel.send<{ nodes: number; jsEventListeners: number; documents: number }>('Memory.getDOMCounters').catch(() => null);
      const sw = await browser.serviceWorker();
      let workers: number | null = null;
      for (const s of workerSessions) {
        const mib = await heapAfterGc((m) => browser.cdp.send(m, {}, s));
        if (mib !== null) workers = (workers ?? 0) + mib;
      }
      const heapMiB = {
        page: await heapAfterGc((m) => page.send(m)),
        serviceWorker: await heapAfterGc((m) => sw.send(m)),
        panel: await heapAfterGc((m) => panel.send(m)),
        panelWorkers: workers,
        panelWorkerCount: workerSessions.size,
      };
      // CDP Storage.getUsageAndQuota answers "Internal error" for a chrome-extension: origin (Chromium 156), so the
      // worker asks its own quota manager (navigator.storage.estimate; Chrome adds usageDetails by storage type).
      const quota = await sw
        .evaluate<{ usage: number; usageDetails?: { indexedDB?: number } }>('navigator.storage.estimate().then((e) => ({ usage: e.usage, usageDetails: e.usageDetails }))', 20_000)
        .catch(() => null);
      const sample: SoakSample = {
        atS,
        phase,
        counts: c,
        buffer: st ? { events: st.events, chars: st.chars, workerStartedAt: st.workerStartedAt } : null,
        panelEvents,
        heapMiB,
        panelDom: dom ? { nodes: dom.nodes, listeners: dom.jsEventListeners, documents: dom.documents } : null,
        idbMiB: quota ? (quota.usageDetails?.indexedDB ?? 0) / 2 ** 20 : null,
        idbDiskMiB: idbOnDisk(profileDir, browser.extensionId!),
        originMiB: quota ? quota.usage / 2 ** 20 : null,
        chromiumPssMiB: await chromiumPss(browser),
        frames: {
          n: intervals.length,
          p50: percentile(intervals, 50),
          p95: percentile(intervals, 95),
          max: Math.max(0, ...intervals),
          longTasks: rec.longTasks.length,
          longestTaskMs: Math.max(0, ...rec.longTasks),
        },
        work: work
          ? { frames: work.frames, p95: work.workMs.p95, max: work.workMs.max, cpuP95: work.cpuMs?.p95 ?? null, busyShare: work.busyShare, longTasks: work.longTasks.length }
          : null,
        filter: { typeMs: typed, clearMs: cleared },
        sampleS: (Date.now() - t0) / 1000,
      };
      opts.log(`  soak ${sampleLine(sample)}`);
      return sample;
    };

    samples.push(await takeSample('before'));
    await page.evaluate(RECEIVER(`${server.wsOrigin}/ws?soak=1`, n, rate));
    streamStart = Date.now();
    opts.log(`  soak: ${fmt(n)} messages at ${fmt(rate)}/s for ${minutes} min, a sample every ${sampleSeconds} s`);
    for (let k = 1; k * sampleSeconds < streamSeconds; k++) {
      const wait = streamStart + k * sampleSeconds * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      const s = await page.evaluate<{ error: boolean; closeCode: number | null; received: number }>('globalThis.__soak');
      if (s.closeCode !== null && s.received < n) notes.push(`the page's socket closed (code ${s.closeCode}) after ${fmt(s.received)} of ${fmt(n)} messages`);
      if (s.closeCode !== null) break;
      samples.push(await takeSample('streaming'));
    }
    // The end: the page has every message, then the pipeline drains (recorded + counted reaches received).
    const endBy = streamStart + (streamSeconds + 120) * 1000;
    while (Date.now() < endBy) {
      const s = await page.evaluate<{ received: number; closeCode: number | null }>('globalThis.__soak');
      if (s.received >= n || s.closeCode !== null) break;
      await sleep(500);
    }
    const pageDone = Date.now();
    for (;;) {
      const { counts: c } = await counts();
      if (c.unaccounted <= 0 && c.received >= n) {
        drainedAfterS = (Date.now() - pageDone) / 1000;
        break;
      }
      if (Date.now() - pageDone > 60_000) {
        notes.push(`the pipeline had not drained 60 s after the page's last message: ${fmt(c.unaccounted)} unaccounted`);
        break;
      }
      await sleep(250);
    }
    samples.push(await takeSample('drained'));
    await panel.close();
    await page.close();
  } finally {
    await browser.close();
    await server.close();
  }

  const lc = samples[samples.length - 1]!.counts;
  return {
    minutes,
    rate,
    sampleSeconds,
    frameSeconds,
    sent: lc.received >= n ? n : lc.received,
    samples,
    verdict: soakVerdict(samples, streamSeconds, drainedAfterS),
    notes,
  };
}

/** The verdict from the samples of a stream of `streamSeconds` (also for re-reading a saved run). */
export function soakVerdict(samples: SoakSample[], streamSeconds: number, drainedAfterS: number | null): SoakVerdict {
  const streaming = samples.filter((s) => s.phase === 'streaming');
  const secondHalf = streaming.filter((s) => s.atS >= streamSeconds / 2);
  const last = samples[samples.length - 1]!;
  const bufferMax = {
    events: Math.max(0, ...samples.map((s) => s.buffer?.events ?? 0)),
    chars: Math.max(0, ...samples.map((s) => s.buffer?.chars ?? 0)),
    maxEvents: TAB_MAX_EVENTS,
    maxChars: STORE_MAX_CHARS,
    within: false,
  };
  bufferMax.within = bufferMax.events <= TAB_MAX_EVENTS && bufferMax.chars <= STORE_MAX_CHARS;
  const panelHeld = Math.max(0, ...samples.map((s) => s.panelEvents ?? 0));
  // The store evicts once its list passes PANEL_MAX_EVENTS × 1.1 (src/panel/store.ts EVICT_SLACK, not exported),
  // down to PANEL_MAX_EVENTS plus the few events that define the connections still shown.
  const panelBound = Math.floor(PANEL_MAX_EVENTS * 1.1);
  const starts = new Set(samples.flatMap((s) => (s.buffer ? [s.buffer.workerStartedAt] : [])));
  const point = (s: SoakSample | undefined) =>
    s ? { workP95: s.work?.p95 ?? null, cpuP95: s.work?.cpuP95 ?? null, frameP95: s.frames.p95, typeMs: s.filter.typeMs, clearMs: s.filter.clearMs } : null;
  const lc = last.counts;
  return {
    trends: {
      page: trend(secondHalf, (s) => s.heapMiB.page),
      serviceWorker: trend(secondHalf, (s) => s.heapMiB.serviceWorker),
      panel: trend(secondHalf, (s) => s.heapMiB.panel),
      panelWorkers: trend(secondHalf, (s) => s.heapMiB.panelWorkers),
      idb: trend(secondHalf, (s) => s.idbMiB),
      idbDisk: trend(secondHalf, (s) => s.idbDiskMiB),
      chromiumPss: trend(secondHalf, (s) => s.chromiumPssMiB),
    },
    bufferMax,
    panelMaxEvents: { held: panelHeld, bound: panelBound, within: panelHeld <= panelBound },
    loss: last.phase === 'drained' ? lc.received - lc.recorded - lc.dropped.page - lc.dropped.relay - lc.rejected : null,
    drainedAfterS,
    workerRestarts: Math.max(0, starts.size - 1),
    first: point(streaming[0]),
    last: point(streaming[streaming.length - 1]),
    panelDomNodes: { first: streaming[0]?.panelDom?.nodes ?? null, last: streaming[streaming.length - 1]?.panelDom?.nodes ?? null },
  };
}

function sampleLine(s: SoakSample): string {
  const c = s.counts;
  const h = s.heapMiB;
  return (
    `+${fmt(s.atS)} s (${s.phase}): received ${fmt(c.received)}, recorded ${fmt(c.recorded)}, dropped p/r/b ${c.dropped.page}/${c.dropped.relay}/${fmt(c.dropped.background)}, rejected ${c.rejected}, unaccounted ${fmt(c.unaccounted)}, gaps idx/seq ${c.indexGaps}/${c.seqGaps}; ` +
    `buffer ${fmt(s.buffer?.events)} ev ${fmt((s.buffer?.chars ?? NaN) / 2 ** 20, 1)} Mi chars, panel ${fmt(s.panelEvents)} ev; ` +
    `heap MiB page ${fmt(h.page, 1)} sw ${fmt(h.serviceWorker, 1)} panel ${fmt(h.panel, 1)} workers ${fmt(h.panelWorkers, 1)} (${h.panelWorkerCount}); IDB ${fmt(s.idbMiB, 1)} MiB (disk ${fmt(s.idbDiskMiB, 1)}); PSS ${fmt(s.chromiumPssMiB)} MiB; DOM ${fmt(s.panelDom?.nodes)} nodes; ` +
    `frames p95 ${fmt(s.frames.p95, 1)} ms, work p95 ${fmt(s.work?.p95, 1)} ms (CPU ${fmt(s.work?.cpuP95, 1)}), ${s.frames.longTasks} long tasks; filter ${fmt(s.filter.typeMs)}/${fmt(s.filter.clearMs)} ms; sample took ${fmt(s.sampleS, 1)} s`
  );
}

const trendText = (name: string, t: SoakTrend) =>
  `${name} ${t.slopePer10Min === null ? '—' : `${t.slopePer10Min >= 0 ? '+' : ''}${fmt(t.slopePer10Min, 2)} MiB/10 min`} (mean ${fmt(t.meanMiB, 1)} MiB, ${t.verdict === null ? 'too few samples' : t.verdict === 'grows' ? 'GROWS' : t.verdict})`;

/** The section's table and verdict. */
export function soakTable(r: SoakResult): string {
  const rows = r.samples.map((s) => [
    s.phase === 'before' ? 'before' : s.phase === 'drained' ? `end ${fmt(s.atS / 60, 1)}` : fmt(s.atS / 60, 1),
    fmt(s.counts.received),
    fmt(s.counts.recorded),
    `${s.counts.dropped.page}/${s.counts.dropped.relay}/${fmt(s.counts.dropped.background)}`,
    fmt(s.counts.unaccounted),
    fmt(s.buffer?.events),
    fmt((s.buffer?.chars ?? NaN) / 2 ** 20, 1),
    fmt(s.idbMiB, 1),
    fmt(s.idbDiskMiB, 1),
    fmt(s.heapMiB.page, 1),
    fmt(s.heapMiB.serviceWorker, 1),
    fmt(s.heapMiB.panel, 1),
    fmt(s.heapMiB.panelWorkers, 1),
    fmt(s.chromiumPssMiB),
    fmt(s.panelDom?.nodes),
    fmt(s.frames.p95, 1),
    fmt(s.work?.p95, 1),
    fmt(s.work?.cpuP95, 1),
    String(s.frames.longTasks),
    `${fmt(s.filter.typeMs)}/${fmt(s.filter.clearMs)}`,
  ]);
  const v = r.verdict;
  const t = v.trends;
  const f = v.first;
  const l = v.last;
  const lc = r.samples[r.samples.length - 1]!.counts;
  return [
    `Soak: ${r.minutes} min at ${fmt(r.rate)} WebSocket messages/s through the hooks, panel open (sample every ${r.sampleSeconds} s; heaps after a forced GC; frames over ${r.frameSeconds} s)`,
    table(
      ['min', 'received', 'recorded', 'dropped p/r/b', 'unacc.', 'buffer ev', 'Mi chars', 'IDB MiB', 'IDB disk', 'page', 'sw', 'panel', 'workers', 'PSS MiB', 'DOM', 'frame p95', 'work p95', 'CPU p95', 'long', 'filter ms'],
      rows,
    ),
    `heap slope over the second half: ${trendText('page', t.page)}; ${trendText('service worker', t.serviceWorker)}; ${trendText('panel', t.panel)}; ${trendText('panel workers', t.panelWorkers)}`,
    `IndexedDB: ${trendText('usage (quota manager)', t.idb)}, ${trendText('files', t.idbDisk)}; Chromium processes: ${trendText('PSS', t.chromiumPss)}`,
    `buffer at most ${fmt(v.bufferMax.events)} events / ${fmt(v.bufferMax.chars / 2 ** 20, 2)} Mi chars (bounds ${fmt(v.bufferMax.maxEvents)} / ${fmt(v.bufferMax.maxChars / 2 ** 20)} Mi: ${v.bufferMax.within ? 'within' : 'EXCEEDED'}); panel store at most ${fmt(v.panelMaxEvents.held)} events (bound ${fmt(v.panelMaxEvents.bound)}: ${v.panelMaxEvents.within ? 'within' : 'EXCEEDED'})`,
    `loss = sent ${fmt(r.sent)} − recorded ${fmt(lc.recorded)} − counted (page ${lc.dropped.page} + relay ${lc.dropped.relay} + rejected ${lc.rejected}) = ${fmt(v.loss)}${v.loss === 0 ? ' (every message recorded or counted)' : ' (UNCOUNTED LOSS)'}; index gaps ${lc.indexGaps}, duplicates ${lc.duplicates}, seq gaps at the panel ${lc.seqGaps}; evicted by the buffer's bounds ${fmt(lc.dropped.background)}, by the panel's ${fmt(lc.panelEvicted)}; drained ${fmt(v.drainedAfterS, 1)} s after the page's last message; service-worker restarts ${v.workerRestarts}`,
    f && l
      ? `panel, first vs last sample while streaming: work per frame p95 ${fmt(f.workP95, 1)} → ${fmt(l.workP95, 1)} ms (CPU ${fmt(f.cpuP95, 1)} → ${fmt(l.cpuP95, 1)} ms), frame interval p95 ${fmt(f.frameP95, 1)} → ${fmt(l.frameP95, 1)} ms, filter keystroke ${fmt(f.typeMs)} → ${fmt(l.typeMs)} ms, clearing it ${fmt(f.clearMs)} → ${fmt(l.clearMs)} ms`
      : '',
    `panel DOM nodes (attached and detached, before the sample's GC) ${fmt(v.panelDomNodes.first)} → ${fmt(v.panelDomNodes.last)}`,
    ...r.notes,
  ].join('\n');
}
