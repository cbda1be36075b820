/**
 * One analysis-core measurement in a fresh process (run with --expose-gc so
 * heap numbers are clean): `node --expose-gc --import tsx bench/core-worker.ts <events>`.
 * Prints one JSON line: ingest rate, report times and heap use.
 */
import { Analyzer, analyzeCapture } from '../src/core/index.ts';
import type { CaptureEvent } from '../src/core/events.ts';
import { synthesizeCapture } from './synth.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** Events as the panel holds them: parsed from the JSON the relay delivered (flat strings, no shared shapes). */
function asDelivered(events: CaptureEvent[]): CaptureEvent[] {
  const out: CaptureEvent[] = [];
  for (let i = 0; i < events.length; i += 10_000) out.push(...(JSON.parse(JSON.stringify(events.slice(i, i + 10_000))) as CaptureEvent[]));
  return out;
}

const count = Number(process.argv[2] ?? 10_000);
const batchSize = 500;
const heapBase = heap();
const t0 = performance.now();
let events: CaptureEvent[] | null = asDelivered(synthesizeCapture({ events: count }));
const generateMs = performance.now() - t0;
const heapEvents = heap();

// Ingest in relay-sized batches, as the live panel does.
const analyzer = new Analyzer();
const t1 = performance.now();
for (let i = 0; i < events.length; i += batchSize) analyzer.ingest(events.slice(i, i + batchSize));
const ingestMs = performance.now() - t1;
const heapIngested = heap();

const t2 = performance.now();
const report = analyzer.report();
const firstReportMs = performance.now() - t2;
const heapReported = heap();

// Live update: one more batch arrives, the panel asks for the report again.
const more = asDelivered(synthesizeCapture({ events: batchSize, start: events[events.length - 1]!.t + 1, seed: 7 })).map((e) => {
  const conn = (e as { conn?: string }).conn;
  return conn ? ({ ...e, conn: `x${conn}` } as CaptureEvent) : e;
});
analyzer.ingest(more);
const t3 = performance.now();
analyzer.report();
const updateReportMs = performance.now() - t3;

const t4 = performance.now();
const oneShot = analyzeCapture(events);
const analyzeCaptureMs = performance.now() - t4;

const result = {
  events: count,
  batchSize,
  generateMs,
  ingestMs,
  ingestPerSecond: count / (ingestMs / 1000),
  firstReportMs,
  updateReportMs,
  analyzeCaptureMs,
  heapEventsBytes: heapEvents - heapBase,
  heapAnalyzerBytes: heapIngested - heapEvents,
  heapReportBytes: heapReported - heapIngested,
  channels: report.channels.map((c) => ({ kind: c.kind, protocol: c.protocol, transport: c.transport, requests: c.requests, messages: c.messages.in + c.messages.out })),
  sameReport: JSON.stringify(oneShot.channels.map((c) => c.kind)) === JSON.stringify(report.channels.map((c) => c.kind)),
};
events = null;
process.stdout.write(JSON.stringify(result) + '\n');
