import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Analyzer, analyzeCapture } from '../../src/core/index.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { captureArb } from './core-arbitraries.ts';

/** Split events into consecutive batches at the given cut points. */
function batches(events: CaptureEvent[], cuts: number[]): CaptureEvent[][] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * events.length)))].sort((a, b) => a - b);
  const out: CaptureEvent[][] = [];
  let from = 0;
  for (const p of points) {
    out.push(events.slice(from, p));
    from = p;
  }
  out.push(events.slice(from));
  return out;
}

describe('incremental analysis', () => {
  it('feeding events in batches (with reports in between) gives the same report as feeding them at once', () => {
    fc.assert(
      fc.property(captureArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), (events, cuts) => {
        const whole = analyzeCapture(events);
        const analyzer = new Analyzer();
        for (const batch of batches(events, cuts)) {
          analyzer.ingest(batch);
          analyzer.report();
          for (const id of analyzer.channelIds()) analyzer.channelSeries(id);
        }
        expect(analyzer.report()).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('classification is stable under batching, one event at a time included', () => {
    fc.assert(
      fc.property(captureArb, (events) => {
        const kinds = analyzeCapture(events).channels.map((c) => [c.id, c.kind, c.confidence]);
        const analyzer = new Analyzer();
        for (const e of events) analyzer.ingest([e]);
        expect(analyzer.report().channels.map((c) => [c.id, c.kind, c.confidence])).toEqual(kinds);
      }),
      { numRuns: 60 },
    );
  });

  it('never throws and always gives a complete report for random event sequences', () => {
    fc.assert(
      fc.property(captureArb, (events) => {
        const r = analyzeCapture(events);
        for (const c of r.channels) {
          expect(c.confidence).toBeGreaterThanOrEqual(0);
          expect(c.confidence).toBeLessThanOrEqual(1);
          if (c.wasteRatio !== null) expect(c.wasteRatio).toBeLessThanOrEqual(1);
          expect(JSON.parse(JSON.stringify(c))).toEqual(c);
        }
      }),
      { numRuns: 100 },
    );
  });
});
