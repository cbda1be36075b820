/**
 * Section 3 and 5 (core part): the analysis core's ingest rate, report time and
 * memory, at 10k, 100k and 1M events. Each size runs in a fresh Node process
 * (bench/core-worker.ts, --expose-gc) so that heap numbers are not polluted by
 * the previous size or by the browser sections.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fmt, round, table } from './stats.ts';

export interface CoreSample {
  events: number;
  batchSize: number;
  generateMs: number;
  ingestMs: number;
  ingestPerSecond: number;
  firstReportMs: number;
  updateReportMs: number;
  analyzeCaptureMs: number;
  heapEventsBytes: number;
  heapAnalyzerBytes: number;
  heapReportBytes: number;
  channels: Array<{ kind: string; protocol: string | null; transport: string; requests: number; messages: number }>;
  sameReport: boolean;
}

export interface CoreResult {
  sizes: number[];
  /** Best of `repeats` runs per size below 1M (the least disturbed by other load on the machine); 1M runs once. */
  repeats: number;
  samples: CoreSample[];
  /** Per-100k-event memory at the largest size: the events as held, and the analyzer's own structures. */
  memoryPer100k: { eventsBytes: number; analyzerBytes: number; totalBytes: number };
  /**
   * Per-event cost at the largest size relative to the reference size (the largest size below it that is at
   * least 100k, else the smallest): 1.0 = perfectly linear; within ±35% counts as linear on a shared machine.
   */
  scaling: { ingest: Growth; report: Growth; ingestRateRatio: number; reportPerEventRatio: number; from: number; to: number };
}

/** How total cost grows with the number of events. */
export type Growth = 'linear' | 'sub-linear' | 'super-linear';

export function growth(perEventRatio: number): Growth {
  return perEventRatio < 0.65 ? 'sub-linear' : perEventRatio > 1.35 ? 'super-linear' : 'linear';
}

const WORKER = resolve(import.meta.dirname, 'core-worker.ts');

function runWorker(events: number): Promise<CoreSample> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', WORKER, String(events)],
      { cwd: resolve(import.meta.dirname, '..'), maxBuffer: 16 << 20, timeout: 300_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`core worker (${events} events) failed: ${stderr.trim().split('\n').slice(-3).join(' ') || error.message}`));
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolvePromise(JSON.parse(line) as CoreSample);
        } catch {
          reject(new Error(`core worker printed no result: ${stdout.slice(-300)}`));
        }
      },
    );
  });
}

/** Run the core section at the given sizes, keeping the fastest of `repeats` runs per size. */
export async function runCore(opts: { sizes: number[]; repeats: number; log: (line: string) => void }): Promise<CoreResult> {
  const samples: CoreSample[] = [];
  for (const size of opts.sizes) {
    let best: CoreSample | null = null;
    // The largest size runs once: it dominates the section's time and varies least.
    const repeats = size >= 1_000_000 ? 1 : opts.repeats;
    for (let i = 0; i < repeats; i++) {
      const s = await runWorker(size);
      opts.log(`  core ${fmt(size)} events: ingest ${fmt(s.ingestPerSecond)} ev/s, first report ${fmt(s.firstReportMs)} ms, heap ${fmt((s.heapEventsBytes + s.heapAnalyzerBytes) / 2 ** 20, 1)} MiB`);
      if (!best || s.ingestMs + s.firstReportMs < best.ingestMs + best.firstReportMs) best = s;
    }
    samples.push(best!);
  }
  const largest = samples[samples.length - 1]!;
  const per100k = (bytes: number) => (bytes / largest.events) * 100_000;
  const below = samples.filter((s) => s !== largest);
  const reference = below.filter((s) => s.events >= 100_000).pop() ?? below[0] ?? largest;
  const ingestRateRatio = largest.ingestPerSecond / reference.ingestPerSecond;
  const reportPerEventRatio = largest.firstReportMs / largest.events / (reference.firstReportMs / reference.events);
  return {
    sizes: opts.sizes,
    repeats: opts.repeats,
    samples,
    memoryPer100k: {
      eventsBytes: per100k(largest.heapEventsBytes),
      analyzerBytes: per100k(largest.heapAnalyzerBytes),
      totalBytes: per100k(largest.heapEventsBytes + largest.heapAnalyzerBytes),
    },
    // Within ±35% per event counts as linear on a shared 2-core machine.
    scaling: {
      from: reference.events,
      to: largest.events,
      ingestRateRatio: round(ingestRateRatio, 3),
      reportPerEventRatio: round(reportPerEventRatio, 3),
      ingest: growth(1 / ingestRateRatio),
      report: growth(reportPerEventRatio),
    },
  };
}

/** The section's table. */
export function coreTable(r: CoreResult): string {
  const mib = (b: number) => fmt(b / 2 ** 20, 1);
  const rows = r.samples.map((s) => [
    fmt(s.events),
    fmt(s.ingestPerSecond),
    fmt(s.ingestMs),
    fmt(s.firstReportMs),
    fmt(s.updateReportMs, 1),
    fmt(s.analyzeCaptureMs),
    mib(s.heapEventsBytes),
    mib(s.heapAnalyzerBytes),
  ]);
  return [
    `Analysis core (best of ${r.repeats} below 1M, 1M once; events ingested in batches of ${r.samples[0]?.batchSize ?? 0})`,
    table(['events', 'ingest ev/s', 'ingest ms', 'full report ms', 'live update ms', 'analyzeCapture ms', 'events MiB', 'analyzer MiB'], rows),
    `memory per 100k events: ${mib(r.memoryPer100k.eventsBytes)} MiB events + ${mib(r.memoryPer100k.analyzerBytes)} MiB analyzer = ${mib(r.memoryPer100k.totalBytes)} MiB`,
    `scaling ${fmt(r.scaling.from)}→${fmt(r.scaling.to)} events: ingest rate ×${r.scaling.ingestRateRatio} (${r.scaling.ingest}), full-report time per event ×${r.scaling.reportPerEventRatio} (${r.scaling.report})`,
  ].join('\n');
}
