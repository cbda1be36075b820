/**
 * Section 1: what inspecting costs the page, in real Chromium, side by side.
 *
 * Set-ups, run on the same workload in interleaved rounds (the order rotates
 * each round so none always runs first or last on a shared machine):
 *   baseline  no instrumentation: a bare CDP pipe with only Runtime and Performance
 *   ri        Realtime Inspector's built extension loaded and recording
 *   cdp       Chrome's own recording: Network.enable on the page, every event consumed (DevTools Network panel)
 *   msw       @mswjs/interceptors fetch + XHR + WebSocket interceptors injected, listeners logging
 * Measured per run: the page's own time until its handler saw everything;
 * from Performance.getMetrics on the page, the main thread's CPU time
 * (ThreadTime: the thread runs the page, the MAIN-world hooks and the
 * isolated-world relay), its busy time (TaskDuration, which also counts time a
 * running task was descheduled, so it inflates on a loaded machine) and the
 * renderer process's CPU time (ProcessTime); and, from SystemInfo.getProcessInfo,
 * the CPU time of every Chromium process together (browser, renderers including
 * the extension's service worker, network service), which is what recording
 * costs the machine beyond the page. On a shared, overloaded machine CPU times
 * are the steadier measure; wall times are reported too.
 */
import { launchChromium, sleep, waitForQuiet, type Browser, type Target } from './cdp.ts';
import { buildMswBundle } from './msw-bundle.ts';
import { startProfile, stopProfile, type ProfileSummary } from './profile.ts';
import { startBenchServer, type BenchServer } from './server.ts';
import { fmt, round, summarize, table, type Summary } from './stats.ts';

export type SetupId = 'baseline' | 'ri' | 'cdp' | 'msw' | 'ri-compare' | 'baseline-again';
/**
 * The set-ups run by default; `ri-compare` (another build of the extension, `--compare DIR`) is added on request.
 * `baseline-again` is the baseline run a second time in each round: its ratio to the baseline is the noise band.
 */
export const SETUPS: SetupId[] = ['baseline', 'ri', 'cdp', 'msw', 'baseline-again'];
export const SETUP_LABELS: Record<SetupId, string> = {
  baseline: 'no instrumentation',
  ri: 'Realtime Inspector',
  cdp: 'CDP Network (DevTools)',
  msw: '@mswjs/interceptors',
  'ri-compare': 'RI, compared build',
  'baseline-again': 'no instrumentation, again (noise)',
};
const isExtensionSetup = (s: SetupId) => s === 'ri' || s === 'ri-compare';

/**
 * Profiled runs use this fraction of the workload: enough samples, little time
 * (RI_BENCH_PROFILE_SCALE=1 profiles the workload at the run's own size).
 */
const PROFILE_SCALE = Number(process.env.RI_BENCH_PROFILE_SCALE ?? 0.05);
/** The set-up profiled (RI_BENCH_PROFILE_SETUP=baseline: where the page's own time goes, to compare). */
const PROFILE_SETUP = (process.env.RI_BENCH_PROFILE_SETUP ?? 'ri') as SetupId;

interface Workload {
  id: string;
  label: string;
  params: Record<string, number>;
  /** The page expression that runs it. */
  expression(server: BenchServer): string;
  expectedCount: number;
}

/** The workloads at a scale (1 = the issue's sizes). */
export function workloads(scale: number): Workload[] {
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  const ws = (s: BenchServer) => JSON.stringify(`${s.wsOrigin}/ws`);
  const wsInSmall = n(200_000);
  const wsInLarge = n(2_000);
  const wsOut = n(50_000);
  const fetchSmall = n(2_000);
  const fetchLarge = n(200);
  const sse = n(100_000);
  // The realistic workload is paced: its length, not its rate, follows the scale.
  const realisticSeconds = Math.max(4, Math.round(20 * scale));
  const realisticRate = 200;
  return [
    { id: 'ws-in-small', label: `WS receive ${fmt(wsInSmall)} small msgs`, params: { messages: wsInSmall, bytesEach: 60 }, expectedCount: wsInSmall, expression: (s) => `__bench.wsIn(${ws(s)}, ${wsInSmall}, 0)` },
    { id: 'ws-in-64k', label: `WS receive ${fmt(wsInLarge)} × 64 KiB`, params: { messages: wsInLarge, bytesEach: 65_536 }, expectedCount: wsInLarge, expression: (s) => `__bench.wsIn(${ws(s)}, ${wsInLarge}, 65536)` },
    { id: 'ws-out', label: `WS send ${fmt(wsOut)} small msgs`, params: { messages: wsOut, bytesEach: 40 }, expectedCount: wsOut, expression: (s) => `__bench.wsOut(${ws(s)}, ${wsOut})` },
    { id: 'fetch-small', label: `fetch ${fmt(fetchSmall)} small JSON`, params: { requests: fetchSmall }, expectedCount: fetchSmall, expression: () => `__bench.fetchSmall(${fetchSmall})` },
    { id: 'fetch-1mib', label: `fetch ${fmt(fetchLarge)} × 1 MiB`, params: { requests: fetchLarge, bytesEach: 1 << 20 }, expectedCount: fetchLarge, expression: () => `__bench.fetchLarge(${fetchLarge})` },
    { id: 'sse', label: `SSE ${fmt(sse)} events`, params: { events: sse }, expectedCount: sse, expression: () => `__bench.sse(${sse})` },
    {
      id: 'realistic',
      label: `app: WS + SSE ${realisticRate}/s each, poll 2 s, ${realisticSeconds} s`,
      params: { seconds: realisticSeconds, messagesPerSecondEach: realisticRate, pollMs: 2000 },
      expectedCount: 2 * realisticSeconds * realisticRate,
      expression: (s) => `__bench.realistic(${ws(s)}, ${realisticSeconds}, ${realisticRate}, 2000)`,
    },
  ];
}

interface RunSample {
  wallMs: number;
  /** The page's own handler time, when the workload measures it (the realistic one). */
  workMs?: number;
  taskMs: number;
  scriptMs: number;
  threadMs: number;
  processMs: number;
  chromiumCpuMs: number;
  /** Realtime Inspector only: what the background recorded for the tab (proof that it recorded). */
  recorded?: { events: number; dropped: number; lostBeforeSeq: number } | null;
  profile?: ProfileSummary;
  /** The page had not seen everything after the time cap: every measure is a lower bound. */
  timedOut?: boolean;
}

export interface SetupResult {
  setup: SetupId;
  wallMs: Summary;
  /** The page's own handler time (workloads that measure it), to check the work per message the workload intends. */
  workMs?: Summary;
  taskMs: Summary;
  threadMs: Summary;
  scriptMs: Summary;
  processMs: Summary;
  chromiumCpuMs: Summary;
  /** Per-round ratios to the baseline of the same round: median, min, max. */
  wallRatio: Summary;
  threadRatio: Summary;
  taskRatio: Summary;
  chromiumCpuRatio: Summary;
  /** Realtime Inspector only: events the background recorded per run, and events it counted as dropped. */
  recorded?: { events: Summary; dropped: Summary };
  /** Runs stopped at the time cap (their numbers are lower bounds); later rounds are not repeated. */
  timedOut: number;
  errors: string[];
}

export interface WorkloadResult {
  id: string;
  label: string;
  params: Record<string, number>;
  setups: SetupResult[];
  /** A V8 CPU profile of one extra Realtime Inspector run (not counted in the ratios). */
  profile?: ProfileSummary & { scale: number; setup: SetupId };
}

export interface PageOverheadResult {
  rounds: number;
  scale: number;
  capMs: number;
  setups: SetupId[];
  workloads: WorkloadResult[];
  notes: string[];
}

type Metrics = Record<string, number>;

async function metrics(browser: Browser, page: Target): Promise<Metrics> {
  const { metrics: list } = await page.send<{ metrics: Array<{ name: string; value: number }> }>('Performance.getMetrics');
  const { processInfo } = await browser.cdp.send<{ processInfo: Array<{ id: number; cpuTime: number }> }>('SystemInfo.getProcessInfo');
  const out: Metrics = Object.fromEntries(list.map((m) => [m.name, m.value]));
  for (const p of processInfo) out[`pid:${p.id}`] = p.cpuTime;
  return out;
}

/** CPU seconds spent by all Chromium processes between two snapshots (processes that started in between count whole). */
function chromiumCpuSeconds(before: Metrics, after: Metrics): number {
  let total = 0;
  for (const [k, v] of Object.entries(after)) if (k.startsWith('pid:')) total += v - (before[k] ?? 0);
  return total;
}

/** What Chrome DevTools' Network panel keeps of each event, so the consuming side does comparable work. */
function attachDevtoolsLikeRecorder(page: Target): { frames: number; bytes: number } {
  const log = { frames: 0, bytes: 0, requests: new Map<string, unknown>() };
  const keep = (id: string, v: unknown) => log.requests.set(id, v);
  page.on('Network.requestWillBeSent', (p) => keep(p.requestId, p.request));
  page.on('Network.responseReceived', (p) => keep(p.requestId, p.response));
  page.on('Network.dataReceived', (p) => (log.bytes += p.dataLength));
  page.on('Network.loadingFinished', (p) => (log.bytes += p.encodedDataLength));
  page.on('Network.webSocketCreated', (p) => keep(p.requestId, p.url));
  page.on('Network.webSocketFrameReceived', (p) => {
    log.frames++;
    log.bytes += p.response.payloadData.length;
  });
  page.on('Network.webSocketFrameSent', (p) => {
    log.frames++;
    log.bytes += p.response.payloadData.length;
  });
  page.on('Network.eventSourceMessageReceived', (p) => {
    log.frames++;
    log.bytes += p.data.length;
  });
  return log;
}

/** The background's counters for the tab showing `url` (TabStats carries the top document's URL). */
async function recordedFor(browser: Browser, url: string): Promise<{ events: number; dropped: number; lostBeforeSeq: number } | null> {
  try {
    const sw = await browser.serviceWorker();
    return await sw.evaluate<{ events: number; dropped: number; lostBeforeSeq: number } | null>(
      `self.realtimeInspector.tabs().then((tabs) => { const t = tabs.find((x) => x.url === ${JSON.stringify(url)}); return t ? { events: t.lastSeq - t.clearedAtSeq, dropped: t.dropped.page + t.dropped.relay + t.dropped.background, lostBeforeSeq: t.dropped.page + t.dropped.relay + t.rejected } : null; })`,
      10_000,
    );
  } catch {
    return null;
  }
}

/** Longest the bench waits for the extension to finish recording a run (its relay keeps sending after the page is done). */
const DRAIN_TIMEOUT_MS = 120_000;

interface Browsers {
  plain: Browser;
  extension: Browser | null;
  /** The compared build's browser (`ri-compare`), when one was asked for. */
  compare: Browser | null;
  mswSource: string;
}

function browserFor(b: Browsers, setup: SetupId): Browser | null {
  return setup === 'ri' ? b.extension : setup === 'ri-compare' ? b.compare : b.plain;
}

/** One measured run of one workload in one set-up, in a fresh tab. */
async function runOnce(b: Browsers, setup: SetupId, w: Workload, server: BenchServer, capMs: number, profile = false): Promise<RunSample> {
  const browser = browserFor(b, setup);
  if (!browser) throw new Error(`${setup} browser not available`);
  const page = await browser.newPage();
  try {
    await page.send('Performance.enable');
    if (setup === 'msw') await page.send('Page.addScriptToEvaluateOnNewDocument', { source: b.mswSource });
    if (setup === 'cdp') {
      attachDevtoolsLikeRecorder(page);
      // DevTools' NetworkManager enables the domain with eager POST bodies up to 64 KiB.
      await page.send('Network.enable', { maxPostDataSize: 65_536 });
    }
    const url = `${server.origin}/bench.html?setup=${setup}&w=${w.id}&r=${Math.random().toString(36).slice(2)}`;
    await page.goto(url);
    if (profile) await startProfile(page);
    const before = await metrics(browser, page);
    let result: { ms: number; count: number; bytes: number; workMs?: number } = { ms: capMs, count: w.expectedCount, bytes: 0 };
    let timedOut = false;
    try {
      result = await page.evaluate<{ ms: number; count: number; bytes: number; workMs?: number }>(w.expression(server), capMs);
    } catch (e) {
      if (!/timed out after/.test((e as Error).message)) throw e;
      timedOut = true;
    }
    if (result.count !== w.expectedCount) throw new Error(`page saw ${result.count} of ${w.expectedCount}`);
    // Work the instrumentation defers (batched flushes, the relay's sending, the service worker's commits) still costs: let it run.
    // Wait until the background has taken every event of the run (sequenced, or counted as lost before it could be),
    // or its count stopped moving for 2 s: the relay's sending runs on the page's thread.
    if (!timedOut && isExtensionSetup(setup)) {
      const seen = async () => {
        const r = await recordedFor(browser, url);
        return r ? r.events + r.lostBeforeSeq : 0;
      };
      await waitForQuiet(seen, w.expectedCount, 2000, DRAIN_TIMEOUT_MS);
    }
    if (!timedOut) await sleep(500);
    const after = await metrics(browser, page);
    const d = (k: string) => ((after[k] ?? NaN) - (before[k] ?? NaN)) * 1000;
    const recorded = isExtensionSetup(setup) ? await recordedFor(browser, url) : undefined;
    return {
      ...(timedOut ? { timedOut } : {}),
      ...(recorded !== undefined ? { recorded } : {}),
      ...(profile ? { profile: await stopProfile(page) } : {}),
      wallMs: result.ms,
      ...(result.workMs !== undefined ? { workMs: result.workMs } : {}),
      taskMs: d('TaskDuration'),
      scriptMs: d('ScriptDuration'),
      threadMs: d('ThreadTime'),
      processMs: d('ProcessTime'),
      chromiumCpuMs: chromiumCpuSeconds(before, after) * 1000,
    };
  } finally {
    await page.close();
  }
}

/** Run the page-overhead section. */
export async function runPageOverhead(opts: {
  extensionDir: string;
  /** Another build of the extension, measured as the `ri-compare` set-up in the same rounds (before/after a change). */
  compareDir?: string;
  /** Set-ups to run (default SETUPS, plus `ri-compare` with compareDir); the baseline is always run. */
  setups?: SetupId[];
  /** Workload ids to run (default all). */
  workloads?: string[];
  rounds: number;
  scale: number;
  /** Also profile one extra Realtime Inspector run per workload (at PROFILE_SCALE of the scale). */
  profile: boolean;
  /** Longest a run may take; slower runs are stopped and reported as lower bounds. */
  capMs: number;
  log: (line: string) => void;
}): Promise<PageOverheadResult> {
  const notes: string[] = [];
  // Checked before anything starts: a browser or server left running would keep the process alive.
  const list = workloads(opts.scale).filter((w) => !opts.workloads || opts.workloads.includes(w.id));
  if (!list.length) throw new Error(`no workload matches ${opts.workloads?.join(',')} (use ${workloads(1).map((w) => w.id).join(',')})`);
  const server = await startBenchServer();
  const mswSource = await buildMswBundle();
  const plain = await launchChromium();
  const wanted = opts.setups ?? (opts.compareDir ? [...SETUPS, 'ri-compare' as const] : SETUPS);
  const setupList: SetupId[] = ['baseline', ...wanted.filter((s) => s !== 'baseline')];
  /** A browser with the extension built in `dir` for `setup`, or null (noted) when the set-up is not asked for or cannot start. */
  const launchExtension = async (setup: SetupId, dir: string | undefined, what: string): Promise<Browser | null> => {
    if (!setupList.includes(setup)) return null;
    if (!dir) throw new Error(`the ${setup} set-up needs --compare DIR (a built extension)`);
    try {
      return await launchChromium({ extensionDir: dir });
    } catch (e) {
      notes.push(`${what} unavailable: ${(e as Error).message.split('\n')[0]}`);
      return null;
    }
  };
  const extension = await launchExtension('ri', opts.extensionDir, 'extension set-up');
  const compare = await launchExtension('ri-compare', opts.compareDir, 'compared build');
  if (compare) notes.push(`ri-compare: the extension built in ${opts.compareDir}`);
  const browsers: Browsers = { plain, extension, compare, mswSource };
  const available = (s: SetupId) => browserFor(browsers, s) !== null;
  const samples = new Map<string, RunSample[]>(); // `${workload}/${setup}` → one sample per round (holes for failures)
  const errors = new Map<string, string[]>();
  const profiles = new Map<string, ProfileSummary>();
  const key = (w: Workload, s: SetupId) => `${w.id}/${s}`;
  try {
    // Warm-up: one small run per set-up (JIT, connection pools, extension start-up), not counted.
    for (const s of setupList) {
      if (!available(s)) continue;
      await runOnce(browsers, s, workloads(Math.min(opts.scale, 0.01))[0]!, server, opts.capMs).catch(() => {});
    }
    for (let round = 0; round < opts.rounds; round++) {
      for (const w of list) {
        const order = setupList.map((_, i) => setupList[(i + round) % setupList.length]!);
        for (const s of order) {
          if (!available(s)) continue;
          const k = key(w, s);
          if (!samples.has(k)) samples.set(k, []);
          // A set-up that hit the cap once would hit it again: spend the time on the others.
          if (samples.get(k)!.some((x) => x?.timedOut)) continue;
          try {
            const sample = await runOnce(browsers, s, w, server, opts.capMs);
            samples.get(k)![round] = sample;
            const capped = sample.timedOut ? ` (STOPPED at the ${fmt(opts.capMs / 1000)} s cap: lower bounds)` : '';
            opts.log(`  round ${round + 1}/${opts.rounds} ${w.id.padEnd(12)} ${s.padEnd(8)} ${fmt(sample.wallMs)} ms wall, main thread ${fmt(sample.threadMs)} ms CPU / ${fmt(sample.taskMs)} ms busy, Chromium ${fmt(sample.chromiumCpuMs)} ms CPU${capped}`);
          } catch (e) {
            const message = (e as Error).message.split('\n')[0]!;
            (errors.get(k) ?? errors.set(k, []).get(k)!).push(message);
            opts.log(`  round ${round + 1}/${opts.rounds} ${w.id.padEnd(12)} ${s.padEnd(8)} FAILED: ${message}`);
          }
        }
      }
    }
    // One profiled Realtime Inspector run per workload (or of PROFILE_SETUP): where its cost goes.
    if (available(PROFILE_SETUP) && opts.profile) {
      for (const w of workloads(opts.scale * PROFILE_SCALE).filter((x) => list.some((y) => y.id === x.id))) {
        try {
          const sample = await runOnce(browsers, PROFILE_SETUP, w, server, opts.capMs, true);
          if (sample.profile) profiles.set(w.id, sample.profile);
          opts.log(`  profile ${w.id}: ${sample.profile?.top.slice(0, 3).map((h) => `${h.frame} ${fmt(h.share * 100)}%`).join(', ')}`);
        } catch (e) {
          opts.log(`  profile ${w.id} failed: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
  } finally {
    await plain.close();
    await extension?.close();
    await compare?.close();
    await server.close();
  }

  const workloadResults: WorkloadResult[] = list.map((w) => {
    const base = samples.get(key(w, 'baseline')) ?? [];
    const profile = profiles.get(w.id);
    return {
      id: w.id,
      label: w.label,
      params: w.params,
      ...(profile ? { profile: { ...profile, scale: opts.scale * PROFILE_SCALE, setup: PROFILE_SETUP } } : {}),
      setups: setupList.map((s) => {
        const runs = samples.get(key(w, s)) ?? [];
        const ratio = (field: AbsField | 'scriptMs' | 'processMs') =>
          runs.flatMap((r, i) => (r && base[i] ? [r[field] / base[i]![field]] : []));
        const present = runs.filter(Boolean);
        return {
          setup: s,
          wallMs: summarize(present.map((r) => r.wallMs)),
          ...(present.some((r) => r.workMs !== undefined) ? { workMs: summarize(present.map((r) => r.workMs ?? NaN)) } : {}),
          taskMs: summarize(present.map((r) => r.taskMs)),
          threadMs: summarize(present.map((r) => r.threadMs)),
          scriptMs: summarize(present.map((r) => r.scriptMs)),
          processMs: summarize(present.map((r) => r.processMs)),
          chromiumCpuMs: summarize(present.map((r) => r.chromiumCpuMs)),
          wallRatio: summarize(ratio('wallMs')),
          threadRatio: summarize(ratio('threadMs')),
          taskRatio: summarize(ratio('taskMs')),
          chromiumCpuRatio: summarize(ratio('chromiumCpuMs')),
          ...(isExtensionSetup(s)
            ? {
                recorded: {
                  events: summarize(present.map((r) => r.recorded?.events ?? NaN)),
                  dropped: summarize(present.map((r) => r.recorded?.dropped ?? NaN)),
                },
              }
            : {}),
          timedOut: present.filter((r) => r.timedOut).length,
          errors: errors.get(key(w, s)) ?? [],
        };
      }),
    };
  });
  return { rounds: opts.rounds, scale: opts.scale, capMs: opts.capMs, setups: setupList, workloads: workloadResults, notes };
}

const ratioCell = (s: Summary) => (s.n ? `${round(s.median).toFixed(2)} (${round(s.min).toFixed(2)}–${round(s.max).toFixed(2)})` : '—');

type RatioField = 'wallRatio' | 'threadRatio' | 'taskRatio' | 'chromiumCpuRatio';
type AbsField = 'wallMs' | 'threadMs' | 'taskMs' | 'chromiumCpuMs';
const VIEWS: Array<{ ratio: RatioField; abs: AbsField; title: string }> = [
  { ratio: 'wallRatio', abs: 'wallMs', title: "time until the page's handler saw everything" },
  { ratio: 'threadRatio', abs: 'threadMs', title: "page main-thread CPU time (ThreadTime)" },
  { ratio: 'taskRatio', abs: 'taskMs', title: 'page main-thread busy time (TaskDuration)' },
  { ratio: 'chromiumCpuRatio', abs: 'chromiumCpuMs', title: 'CPU time of all Chromium processes' },
];

/** One ratio table: a row per workload, a column per instrumented set-up. */
export function pageOverheadTable(r: PageOverheadResult, ratio: RatioField, abs: AbsField): string {
  const setups = r.setups.filter((s) => s !== 'baseline');
  const head = ['workload', 'baseline ms', ...setups.map((s) => SETUP_LABELS[s])];
  const rows = r.workloads.map((w) => {
    const base = w.setups.find((s) => s.setup === 'baseline')!;
    return [
      w.label,
      fmt(base[abs].median),
      ...setups.map((s) => {
        const sr = w.setups.find((x) => x.setup === s)!;
        if (sr.errors.length && !sr[ratio].n) return 'failed';
        return sr.timedOut ? `> ${ratioCell(sr[ratio])} (stopped)` : ratioCell(sr[ratio]);
      }),
    ];
  });
  return table(head, rows);
}

/** The section's tables: every measure as a ratio to the baseline of the same round. */
export function pageOverheadTables(r: PageOverheadResult): string {
  return VIEWS.map((v) => [`Page overhead: ${v.title}, ratio to baseline, median (min–max) of ${r.rounds} rounds`, pageOverheadTable(r, v.ratio, v.abs)].join('\n')).join('\n\n');
}
