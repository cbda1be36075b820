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

describe('capture end declared past the last event (node)', () => {
  it('an idle WebSocket open until the recording stopped gets its idle-gap finding', () => {
    const t0 = 1_700_000_000_000;
    const base = { seq: 0, frameId: 0, doc: 'd' };
    const events = [
      { ...base, pseq: 1, t: t0, type: 'ws.create', conn: 'd:1', url: 'ws://127.0.0.1:1/idle', protocols: [] },
      { ...base, pseq: 2, t: t0 + 20, type: 'ws.open', conn: 'd:1', protocol: '', extensions: '' },
      { ...base, pseq: 3, t: t0 + 25, type: 'ws.message', conn: 'd:1', dir: 'in', data: { size: 9, encoding: 'text', data: '{"hi":1}', truncated: false } },
    ] as const;
    const short = analyzeCapture(events as never);
    const long = analyzeCapture(events as never, { until: t0 + 90_000 });
    const codes = (r: typeof short) => r.channels[0]!.findings.map((f) => f.code);
    expect(short.durationMs).toBeLessThan(100);
    expect(long.durationMs).toBeGreaterThanOrEqual(89_000);
    expect(long.channels[0]!.heartbeat?.maxIdleMs ?? 0).toBeGreaterThan(60_000);
    expect(codes(long)).toContain('idle-gap-over-nat-timeout');
    expect(codes(short)).not.toContain('idle-gap-over-nat-timeout');
  });
});
