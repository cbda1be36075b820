import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { synthesizeCapture } from '../../bench/synth.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { internEvent, StringPool } from '../../src/panel/intern.ts';
import { realisticSession } from '../fixtures/har/realistic-session.ts';
import { captureArb } from './core-arbitraries.ts';
import { threeChannelCapture } from './panel-fixtures.ts';
import { storeWithWorker } from './panel-harness.ts';

/** Intern a copy of the events: it must still equal them. */
function internedCopy(events: readonly CaptureEvent[], pool = new StringPool()): CaptureEvent[] {
  const copy = structuredClone(events) as CaptureEvent[];
  for (const e of copy) internEvent(e, pool);
  return copy;
}

describe('string pool', () => {
  test('interning leaves every event equal to what it was', () => {
    for (const events of [realisticSession(), threeChannelCapture(), synthesizeCapture({ events: 3000 })]) {
      expect(internedCopy(events)).toEqual(events);
    }
    fc.assert(
      fc.property(captureArb, (events) => {
        expect(internedCopy(events)).toEqual(events);
      }),
      { numRuns: 50 },
    );
  });

  test('gives back an equal string, and holds at most its bound', () => {
    const pool = new StringPool(100);
    for (let i = 0; i < 1000; i++) {
      const s = `conn:${i % 250}`;
      expect(pool.get(s)).toBe(s);
      expect(pool.size).toBeLessThanOrEqual(100);
    }
    const long = 'x'.repeat(5000);
    expect(pool.get(long)).toBe(long);
  });

  test('an event without the base fields is left as it is', () => {
    const odd = { seq: 1, t: 0, data: null } as unknown as CaptureEvent;
    internEvent(odd, new StringPool());
    expect(odd).toEqual({ seq: 1, t: 0, data: null });
  });
});

/** A GC this test can call (Node's flag, set at run time, and the function from a fresh context). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('the first analysis of a list', () => {
  test('is let go once the list moved on by an eviction, even before the worker caught up', async () => {
    const { w, t, store } = storeWithWorker(40);
    const events = threeChannelCapture();
    store.resetLive(events.slice(0, 30));
    // The first analysis, run in the panel's thread, holds a whole analyzer of the list.
    const first = new WeakRef((store as unknown as { interim: { engine: object } }).interim.engine);
    // Past the bound before the worker answered anything: an eviction starts a new generation.
    for (let i = 30; i < events.length; i += 5) store.appendLive(events.slice(i, i + 5));
    t.runAll();
    while (w.pending.length) w.deliver();
    expect(store.report().channels.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 0));
    collectGarbage();
    expect(first.deref()).toBeUndefined();
  });
});
