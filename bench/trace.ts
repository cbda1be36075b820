/**
 * Per-frame main-thread work of one page, from a Chrome trace (CDP Tracing).
 *
 * requestAnimationFrame intervals cannot tell whether a frame's work fits in
 * 16 ms on a loaded machine: vsync jitter alone moves them past 16.7 ms. The
 * trace shows the work itself: the renderer main thread's top-level tasks
 * (`toplevel` RunTask events, as Lighthouse's main-thread-tasks reads them)
 * and its frames (`BeginMainThreadFrame`, the main-thread half of a frame in
 * Chrome DevTools' TimelineFrameModel). A frame's work is the busy time of the
 * tasks that start between the task that began it and the task that began the
 * next one (so the frame's own rendering task counts in the frame it begins,
 * and a task that blocks the thread for 100 ms counts whole in one frame, as it
 * delays that frame's successor by as much).
 *
 * Long tasks (>= 50 ms) are attributed from the trace's own V8 stack samples
 * (`disabled-by-default-v8.cpu_profiler`, same clock as the tasks): self time
 * per function inside the task, plus the GC events inside it and the task's
 * entry (the first timeline event inside it: a timer, a message, a frame).
 */
import { writeFileSync } from 'node:fs';
import type { Target } from './cdp.ts';
import { percentile } from './stats.ts';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  /** Thread (CPU) time of a complete event, µs. */
  tdur?: number;
  id?: string;
  args?: any;
}

export interface LongTask {
  /** Start relative to the phase start (ms). */
  atMs: number;
  ms: number;
  /** The main thread's CPU time in the task (ms); the rest of `ms` it was waiting (other processes, GC helpers). */
  cpuMs: number | null;
  /** What started the task (first timeline event inside it, e.g. "TimerFire", "EventDispatch message"). */
  entry: string;
  /** GC inside the task (ms, from MajorGC/MinorGC trace events). */
  gcMs: number;
  /** Trace events inside the task by total duration (ms; nested ones count in their parents too): style, layout, paint, GC... */
  events: Array<{ name: string; ms: number }>;
  /** Top self-time functions from the stack samples inside the task. */
  top: Array<{ frame: string; ms: number }>;
}

export interface FrameWork {
  frames: number;
  /** Main-thread busy ms per frame (wall time of its tasks: includes time the thread waited for a CPU on a loaded machine). */
  workMs: { p50: number; p95: number; max: number };
  framesOver16ms: number;
  /** The same in main-thread CPU time (trace thread time): the frame's own work, without the machine's load. */
  cpuMs: { p50: number; p95: number; max: number } | null;
  cpuFramesOver16ms: number | null;
  /** Busy share of the main thread over the phase. */
  busyShare: number;
  longTasks: LongTask[];
  /** Frames whose work exceeded 16 ms: their tasks of 4 ms or more, attributed like long tasks. */
  heavyFrames: Array<{ atMs: number; workMs: number; cpuMs: number; tasks: LongTask[] }>;
  /** Phase-wide self time of the main thread's top functions (stack samples). */
  top: Array<{ frame: string; ms: number }>;
  /** The main thread's GCs in the phase (MinorGC/MajorGC trace events). */
  gc: GcStats;
}

export interface GcStats {
  minor: number;
  major: number;
  /** Each major GC: start in the phase (ms), wall and CPU ms, heap used before and after (MiB). */
  majors: Array<{ atMs: number; ms: number; cpuMs: number | null; beforeMiB: number; afterMiB: number }>;
  /**
   * JS heap allocated per second of the phase (MiB/s): the growth of the heap
   * counter the trace samples every few ms (UpdateCounters jsHeapSizeUsed),
   * summed over the phase with its drops (GCs) left out; null without counters.
   */
  allocMiBPerSecond: number | null;
}

const CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'blink.user_timing',
  'disabled-by-default-v8.cpu_profiler',
  // RI_BENCH_GC_CATS=1: the GC's own phases (evacuation, marking, Oilpan), to read what a long pause was.
  ...(process.env.RI_BENCH_GC_CATS ? ['disabled-by-default-v8.gc', 'v8', 'cppgc', 'disabled-by-default-cppgc', 'blink_gc', 'disabled-by-default-blink_gc'] : []),
];

const TASK_NAMES = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadControllerImpl::DoWork', 'TaskQueueManager::ProcessTaskFromWorkQueue']);
const GC_NAMES = new Set(['MajorGC', 'MinorGC']);
const MARK_START = 'ri-bench-trace-start';
const MARK_END = 'ri-bench-trace-end';

/** A running trace of the browser, its phase delimited by marks in `page`. */
export interface Tracing {
  /** Stop, collect and reduce to the page's main-thread frames. */
  stop(): Promise<FrameWork | null>;
}

/**
 * Start tracing (the whole browser; the page is found by a user-timing mark) and mark the phase start in `page`.
 * With RI_BENCH_TRACE_DIR set, each trace is also written there (`<name>.json`, loadable in DevTools' Performance panel).
 */
export async function startTracing(page: Target, name = 'trace'): Promise<Tracing> {
  const events: TraceEvent[] = [];
  const offData = page.on('Tracing.dataCollected', (p: { value: TraceEvent[] }) => {
    for (const e of p.value) events.push(e);
  });
  await page.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { recordMode: 'recordContinuously', includedCategories: CATEGORIES, excludedCategories: ['*'] },
  });
  // Let the renderer's sampler start before the phase.
  await page.evaluate(`new Promise((r) => setTimeout(() => { performance.mark(${JSON.stringify(MARK_START)}); r(true); }, 50))`);
  return {
    async stop() {
      await page.evaluate(`performance.mark(${JSON.stringify(MARK_END)}); true`);
      const complete = page.cdp.waitFor('Tracing.tracingComplete', (_p, s) => s === page.sessionId, 120_000);
      await page.send('Tracing.end');
      await complete;
      offData();
      const dir = process.env.RI_BENCH_TRACE_DIR;
      if (dir) writeFileSync(`${dir}/${name.replace(/[^\w.-]+/g, '-')}.json`, JSON.stringify({ traceEvents: events }));
      return frameWork(events);
    },
  };
}

const shortUrl = (url: string) => (url ? (url.split('?')[0]!.split('/').pop() ?? url) : '');

/** Reduce a trace to the frames and long tasks of the thread that recorded the start mark. */
export function frameWork(events: TraceEvent[]): FrameWork | null {
  const start = events.find((e) => e.name === MARK_START);
  const end = events.find((e) => e.name === MARK_END && start && e.pid === start.pid);
  if (!start || !end) return null;
  const { pid, tid } = start;
  const onMain = events.filter((e) => e.pid === pid && e.tid === tid).sort((a, b) => a.ts - b.ts);
  // Outermost tasks only (a nested run loop reports tasks inside tasks).
  const tasks: Array<{ ts: number; end: number; cpu: number | null }> = [];
  for (const e of onMain) {
    if (e.ph !== 'X' || !TASK_NAMES.has(e.name) || !e.dur) continue;
    const last = tasks[tasks.length - 1];
    if (last && e.ts < last.end) continue;
    tasks.push({ ts: e.ts, end: e.ts + e.dur, cpu: e.tdur ?? null });
  }
  const taskAt = (ts: number) => {
    let lo = 0;
    let hi = tasks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tasks[mid]!.end < ts) lo = mid + 1;
      else hi = mid;
    }
    const t = tasks[lo];
    return t && t.ts <= ts && ts <= t.end ? t : null;
  };
  const inPhase = (ts: number) => ts >= start.ts && ts <= end.ts;
  // Frame boundaries: the start of the task that began each main-thread frame.
  const bounds = [...new Set(onMain.filter((e) => e.name === 'BeginMainThreadFrame' && inPhase(e.ts)).map((e) => taskAt(e.ts)?.ts ?? e.ts))].sort((a, b) => a - b);
  const work: number[] = [];
  const cpu: number[] = [];
  let cpuKnown = tasks.length > 0;
  const heavy: Array<{ from: number; to: number; workMs: number; cpuMs: number }> = [];
  let k = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    let busy = 0;
    let busyCpu = 0;
    while (k < tasks.length && tasks[k]!.ts < bounds[i]!) k++;
    for (let j = k; j < tasks.length && tasks[j]!.ts < bounds[i + 1]!; j++) {
      busy += tasks[j]!.end - tasks[j]!.ts;
      if (tasks[j]!.cpu === null) cpuKnown = false;
      else busyCpu += tasks[j]!.cpu!;
    }
    work.push(busy / 1000);
    cpu.push(busyCpu / 1000);
    if (busy > 16_000) heavy.push({ from: bounds[i]!, to: bounds[i + 1]!, workMs: busy / 1000, cpuMs: busyCpu / 1000 });
  }
  const phaseTasks = tasks.filter((t) => inPhase(t.ts));
  const busyTotal = phaseTasks.reduce((s, t) => s + (Math.min(t.end, end.ts) - t.ts), 0);

  // Stack samples of this thread: Profile (start time) + ProfileChunks (nodes, samples, time deltas), matched by id.
  const profile = events.find((e) => e.name === 'Profile' && e.pid === pid && e.tid === tid);
  const samples: Array<{ ts: number; node: number }> = [];
  const nodes = new Map<number, { functionName: string; url: string; lineNumber: number; columnNumber: number }>();
  if (profile) {
    let t = profile.args?.data?.startTime ?? 0;
    for (const c of events) {
      if (c.name !== 'ProfileChunk' || c.pid !== pid || c.id !== profile.id) continue;
      const data = c.args?.data ?? {};
      for (const n of data.cpuProfile?.nodes ?? []) nodes.set(n.id, n.callFrame);
      const ids: number[] = data.cpuProfile?.samples ?? [];
      const deltas: number[] = data.timeDeltas ?? [];
      for (let i = 0; i < ids.length; i++) {
        t += deltas[i] ?? 0;
        samples.push({ ts: t, node: ids[i]! });
      }
    }
    samples.sort((a, b) => a.ts - b.ts);
  }
  const selfTime = (from: number, to: number, topN: number) => {
    const self = new Map<string, number>();
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (s.ts < from || s.ts > to) continue;
      const next = samples[i + 1];
      const ms = next ? Math.min(next.ts - s.ts, 2000) / 1000 : 0;
      const f = nodes.get(s.node);
      if (!f || f.functionName === '(idle)' || f.functionName === '(root)') continue;
      const key = `${f.functionName || '(anonymous)'}${f.url ? ` @ ${shortUrl(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`;
      self.set(key, (self.get(key) ?? 0) + ms);
    }
    return [...self].sort((a, b) => b[1] - a[1]).slice(0, topN).map(([frame, ms]) => ({ frame, ms: Math.round(ms * 10) / 10 }));
  };

  const attribute = (t: { ts: number; end: number; cpu: number | null }): LongTask => {
    const inside = onMain.filter((e) => e.ts >= t.ts && e.ts <= t.end);
    const entryEvent = inside.find((e) => e.cat.includes('devtools.timeline') && !TASK_NAMES.has(e.name) && e.ph === 'X');
    const entry = entryEvent ? `${entryEvent.name}${entryEvent.args?.data?.type ? ` ${entryEvent.args.data.type}` : ''}${entryEvent.args?.data?.functionName ? ` ${entryEvent.args.data.functionName}` : ''}` : '?';
    const gcMs = inside.filter((e) => GC_NAMES.has(e.name) && e.dur).reduce((s, e) => s + e.dur! / 1000, 0);
    const byName = new Map<string, number>();
    for (const e of inside) {
      if (e.ph !== 'X' || !e.dur || TASK_NAMES.has(e.name)) continue;
      byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
    }
    const named = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
    return { atMs: Math.round((t.ts - start.ts) / 1000), ms: Math.round((t.end - t.ts) / 1000), cpuMs: t.cpu === null ? null : Math.round(t.cpu / 100) / 10, entry, gcMs: Math.round(gcMs * 10) / 10, events: named, top: selfTime(t.ts, t.end, 6) };
  };
  const longTasks = phaseTasks.filter((t) => t.end - t.ts >= 50_000).map(attribute);
  const heavyFrames = heavy.map((f) => ({
    atMs: Math.round((f.from - start.ts) / 1000),
    workMs: Math.round(f.workMs * 10) / 10,
    cpuMs: Math.round(f.cpuMs * 10) / 10,
    tasks: tasks.filter((t) => t.ts >= f.from && t.ts < f.to && t.end - t.ts >= 4000).map(attribute),
  }));
  const gcEvents = onMain.filter((e) => GC_NAMES.has(e.name) && e.ph === 'X' && inPhase(e.ts) && e.args?.usedHeapSizeBefore !== undefined);
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  const counters = onMain.filter((e) => e.name === 'UpdateCounters' && inPhase(e.ts) && typeof e.args?.data?.jsHeapSizeUsed === 'number');
  let grown = 0;
  for (let i = 1; i < counters.length; i++) grown += Math.max(0, counters[i]!.args.data.jsHeapSizeUsed - counters[i - 1]!.args.data.jsHeapSizeUsed);
  const gc: GcStats = {
    minor: gcEvents.filter((e) => e.name === 'MinorGC').length,
    major: gcEvents.filter((e) => e.name === 'MajorGC').length,
    majors: gcEvents
      .filter((e) => e.name === 'MajorGC')
      .map((e) => ({ atMs: Math.round((e.ts - start.ts) / 1000), ms: Math.round((e.dur ?? 0) / 100) / 10, cpuMs: e.tdur === undefined ? null : Math.round(e.tdur / 100) / 10, beforeMiB: mib(e.args.usedHeapSizeBefore), afterMiB: mib(e.args.usedHeapSizeAfter) })),
    allocMiBPerSecond: counters.length > 1 ? Math.round((grown / 2 ** 20 / ((end.ts - start.ts) / 1e6)) * 100) / 100 : null,
  };
  return {
    gc,
    frames: work.length,
    workMs: { p50: percentile(work, 50), p95: percentile(work, 95), max: Math.max(0, ...work) },
    framesOver16ms: work.filter((w) => w > 16).length,
    cpuMs: cpuKnown ? { p50: percentile(cpu, 50), p95: percentile(cpu, 95), max: Math.max(0, ...cpu) } : null,
    cpuFramesOver16ms: cpuKnown ? cpu.filter((w) => w > 16).length : null,
    busyShare: busyTotal / Math.max(1, end.ts - start.ts),
    longTasks,
    heavyFrames,
    top: selfTime(start.ts, end.ts, 8),
  };
}
