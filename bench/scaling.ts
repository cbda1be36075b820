/**
 * Section 5: how the page's cost of recording grows with the size of the capture.
 *
 * The two workloads whose cost is per event (SSE events, small WebSocket messages)
 * run at 10k, 100k and 1M events (quick: 5k and 20k) in the baseline and Realtime
 * Inspector set-ups, through the page-overhead runner (same page, server and
 * measures). For each size: the page's main-thread CPU time in both, their ratio,
 * the extra CPU per event, and what the extension recorded and counted as dropped.
 * Beyond the background's per-tab bound (TAB_MAX_EVENTS, 100k) the oldest events are
 * evicted and counted: a capture of 1M events keeps the newest 100k, which is what an
 * hour of traffic at a few hundred events per second does to the buffer.
 */
import { growth, type Growth } from './core.ts';
import { runPageOverhead, workloads as pageWorkloads } from './page-overhead.ts';
import { fmt, round, table, type Summary } from './stats.ts';

export interface ScalingPoint {
  workload: string;
  label: string;
  events: number;
  rounds: number;
  baselineCpuMs: Summary;
  riCpuMs: Summary;
  ratio: Summary;
  /** Median extra main-thread CPU per event (µs): (RI − baseline) / events, per round. */
  extraUsPerEvent: number;
  recorded: Summary | null;
  dropped: Summary | null;
  timedOut: number;
  errors: string[];
}

export interface ScalingResult {
  points: ScalingPoint[];
  /** Extra CPU per event at the largest size relative to the size 10× smaller, per workload. */
  growth: Array<{ workload: string; from: number; to: number; perEventRatio: number; verdict: Growth }>;
  notes: string[];
}

const WORKLOADS = ['sse', 'ws-in-small'];

export async function runScaling(opts: { extensionDir: string; quick: boolean; log: (line: string) => void }): Promise<ScalingResult> {
  const sizes = opts.quick ? [5_000, 20_000] : [10_000, 100_000, 1_000_000];
  const base = pageWorkloads(1);
  const points: ScalingPoint[] = [];
  const notes: string[] = [];
  for (const id of WORKLOADS) {
    const full = base.find((w) => w.id === id)!;
    for (const events of sizes) {
      const scale = events / full.expectedCount;
      const rounds = events >= 1_000_000 ? 1 : 2;
      opts.log(`  ${id} at ${fmt(events)} events (${rounds} round${rounds > 1 ? 's' : ''})`);
      const r = await runPageOverhead({
        extensionDir: opts.extensionDir,
        setups: ['baseline', 'ri'],
        workloads: [id],
        rounds,
        scale,
        profile: false,
        capMs: Math.max(30_000, events / 10),
        log: opts.log,
      });
      notes.push(...r.notes);
      const w = r.workloads[0]!;
      const b = w.setups.find((s) => s.setup === 'baseline')!;
      const ri = w.setups.find((s) => s.setup === 'ri')!;
      const extra = ri.threadMs.median - b.threadMs.median;
      points.push({
        workload: id,
        label: w.label,
        events,
        rounds,
        baselineCpuMs: b.threadMs,
        riCpuMs: ri.threadMs,
        ratio: ri.threadRatio,
        extraUsPerEvent: round((extra * 1000) / events, 2),
        recorded: ri.recorded?.events ?? null,
        dropped: ri.recorded?.dropped ?? null,
        timedOut: b.timedOut + ri.timedOut,
        errors: [...b.errors, ...ri.errors],
      });
    }
  }
  const growthRows = WORKLOADS.flatMap((id) => {
    const mine = points.filter((p) => p.workload === id && Number.isFinite(p.extraUsPerEvent));
    const to = mine.at(-1);
    const from = mine.length > 1 ? mine.at(-2) : undefined;
    if (!to || !from || from.extraUsPerEvent <= 0) return [];
    const perEventRatio = round(to.extraUsPerEvent / from.extraUsPerEvent, 2);
    return [{ workload: id, from: from.events, to: to.events, perEventRatio, verdict: growth(perEventRatio) }];
  });
  return { points, growth: growthRows, notes: [...new Set(notes)] };
}

export function scalingTable(r: ScalingResult): string {
  const rows = r.points.map((p) => [
    p.label,
    fmt(p.rounds),
    fmt(p.baselineCpuMs.median),
    fmt(p.riCpuMs.median),
    p.ratio.n ? p.ratio.median.toFixed(2) : '—',
    p.extraUsPerEvent.toFixed(2),
    p.recorded ? fmt(p.recorded.median) : '—',
    p.dropped ? fmt(p.dropped.median) : '—',
    p.timedOut ? 'stopped' : p.errors.length ? 'failed' : '',
  ]);
  const lines = [
    'Scaling: page main-thread CPU with Realtime Inspector recording, by capture size (median of the rounds)',
    table(['workload', 'rounds', 'baseline CPU ms', 'RI CPU ms', 'ratio', 'extra µs/event', 'recorded', 'dropped', ''], rows),
  ];
  for (const g of r.growth) {
    lines.push(`${g.workload}: extra CPU per event ${fmt(g.from)}→${fmt(g.to)} events ×${g.perEventRatio} (${g.verdict})`);
  }
  return lines.join('\n');
}
