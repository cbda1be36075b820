import type { FindingRule } from './types.ts';
import { formatMs } from '../stats.ts';

/** Retries sooner than this are a storm when most are (a server down gets every client's, every second). */
const STORM_DELAY_MS = 1000;
const STORM_SHARE = 0.75;

/** Reconnecting at a constant delay: every client hammers the server for the whole outage. */
export const noBackoff: FindingRule = {
  code: 'reconnect-without-backoff',
  title: 'Reconnects without backoff',
  severity: 'warning',
  description: 'Reconnects should back off exponentially (1 s, 2 s, 4 s, 8 s), or every client hammers a server that is already down.',
  check({ ctx, reconnects }) {
    const b = reconnects.backoff;
    if (b === null || b.model !== 'fixed') return null;
    // A storm is read from the delays themselves, not from the fitted level alone: when the
    // fit is poor, its level is the first delay, and a randomised growing policy starts
    // below a second too (centrifuge 5.8.0 build/index.js backoff(): 500 ms + U(0, 500·2^k),
    // 888, 590, 685, 2427, 567, 14045 ms in one outage). Three in four under a second are.
    const all = reconnects.reconnects;
    let quick = 0;
    for (const r of all) if (r.delayMs < STORM_DELAY_MS) quick++;
    const storm = b.initialMs < STORM_DELAY_MS && quick >= STORM_SHARE * all.length;
    // EventSource reconnects at the server-controlled `retry:` time (or the browser's default):
    // a constant delay there is the protocol working as designed. A quick reconnect after a stream
    // that worked is the server's choice (retry:); only quick retries of attempts that keep failing
    // (attempt > 0: no open since the previous error) are a storm.
    const serverPaced = ctx.transport === 'eventsource' || reconnects.reconnects.every((r) => r.sseRetryMs !== null);
    const failingRetries = reconnects.reconnects.some((r) => r.attempt > 0);
    if (serverPaced && !(storm && failingRetries)) return null;
    // Delays too few or too scattered to call constant are no evidence against a backoff,
    // unless they are a storm of sub-second retries whatever their shape.
    if (b.confidence === 'low' && !storm) return null;
    return {
      severity: storm ? 'error' : 'warning',
      code: this.code,
      message: `${reconnects.reconnects.length} reconnects at a constant ${formatMs(b.initialMs)}${storm ? ': a reconnect storm during an outage' : ''}.`,
      evidence: { reconnects: reconnects.reconnects.length, delayMs: b.initialMs, jitter: b.jitter },
      advice: 'Back off exponentially (1 s, 2 s, 4 s, 8 s ... capped) with random jitter, and reset after a connection stays up.',
    };
  },
};
