/**
 * The panel's analysis scheduler on its own: whatever the order of changes, user
 * actions and answers, one request at a time is in flight, and the last change is
 * always followed by a request (the panel never stops on a stale analysis).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnalysisScheduler } from '../../src/panel/analysis-scheduler.ts';

class FakeTimers {
  private queue: Array<{ fn: () => void; id: number }> = [];
  private next = 1;
  readonly schedule = (fn: () => void, _ms: number): ReturnType<typeof setTimeout> => {
    const id = this.next++;
    this.queue.push({ fn, id });
    return id as unknown as ReturnType<typeof setTimeout>;
  };
  readonly cancel = (timer: ReturnType<typeof setTimeout>): void => {
    this.queue = this.queue.filter((t) => (t.id as unknown) !== timer);
  };
  /** Runs the oldest timer still set; false when none is. */
  fire(): boolean {
    const t = this.queue.shift();
    t?.fn();
    return t !== undefined;
  }
}

type Op = { kind: 'change' } | { kind: 'action' } | { kind: 'answer' } | { kind: 'timer' } | { kind: 'stale' };

describe('AnalysisScheduler', () => {
  it('keeps one request in flight and always analyses the last change', () => {
    const op = fc.oneof(
      fc.constant<Op>({ kind: 'change' }),
      fc.constant<Op>({ kind: 'action' }),
      fc.constant<Op>({ kind: 'answer' }),
      fc.constant<Op>({ kind: 'timer' }),
      fc.constant<Op>({ kind: 'stale' }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const timers = new FakeTimers();
        const sent: number[] = [];
        let inFlight: number | null = null;
        /** Requests sent before the last change or action: one more must follow it. */
        let sentBeforeLastChange = 0;
        const scheduler = new AnalysisScheduler(
          timers.schedule,
          (id) => {
          expect(inFlight, 'a second request while one is in flight').toBeNull();
          inFlight = id;
          sent.push(id);
          },
          timers.cancel,
        );
        const answer = () => {
          if (inFlight === null) return;
          const id = inFlight;
          inFlight = null;
          scheduler.answered(id);
          scheduler.followUp();
        };
        for (const o of ops) {
          if (o.kind === 'change' || o.kind === 'action') {
            sentBeforeLastChange = sent.length;
            if (o.kind === 'change') scheduler.soon();
            else scheduler.now();
          } else if (o.kind === 'answer') answer();
          else if (o.kind === 'timer') timers.fire();
          else if (o.kind === 'stale' && inFlight !== null) scheduler.again();
        }
        // Let everything settle: answers and timers until nothing is left.
        for (let guard = 0; guard < 1000 && (inFlight !== null || timers.fire()); guard++) answer();
        expect(scheduler.idle()).toBe(true);
        // A request was sent after the last change or action.
        if (ops.some((o) => o.kind === 'change' || o.kind === 'action')) expect(sent.length).toBeGreaterThan(sentBeforeLastChange);
      }),
      { numRuns: 500 },
    );
  });

  it('waits for the history, and sends at once when the bridge is in sync', () => {
    const timers = new FakeTimers();
    const sent: number[] = [];
    const scheduler = new AnalysisScheduler(timers.schedule, (id) => sent.push(id), timers.cancel);
    scheduler.awaitHistory(true);
    scheduler.soon();
    expect(sent).toEqual([]);
    scheduler.historyInSync();
    expect(sent).toEqual([1]);
  });

  it('asks again right after the answer when the answer could not be used', () => {
    const timers = new FakeTimers();
    const sent: number[] = [];
    const scheduler = new AnalysisScheduler(timers.schedule, (id) => sent.push(id), timers.cancel);
    scheduler.now();
    scheduler.again();
    scheduler.answered(1);
    scheduler.followUp();
    // Urgent: no throttle timer, the next request goes at once.
    expect(sent).toEqual([1, 2]);
  });
});
