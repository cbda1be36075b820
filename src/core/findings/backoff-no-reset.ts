import type { FindingRule } from './types.ts';
import { formatMs } from '../stats.ts';

/**
 * A connection that stayed up this long was healthy by any measure: past the 30-60 s in
 * which NATs and proxies cut idle connections (docs/domain.md). A client that still
 * continues its retry count after it starts the next outage at the cap.
 */
export const HEALTHY_UPTIME_MS = 30_000;

/** The attempt count runs on after a long healthy connection: the next outage starts at the longest delay. */
export const backoffNoReset: FindingRule = {
  code: 'backoff-no-reset',
  title: 'Backoff not reset after a healthy connection',
  severity: 'warning',
  description: 'A client that never resets its retry count waits its longest delay after every later drop, however long the connection was fine.',
  check({ reconnects }) {
    const b = reconnects.backoff;
    if (b === null || b.model === 'fixed' || b.confidence === 'low') return null;
    const first = b.delaysMs.find((d) => d !== null) ?? null;
    if (first === null) return null;
    const late = reconnects.reconnects.filter(
      (r) => !r.clientInitiated && r.uptimeMs !== null && r.uptimeMs >= HEALTHY_UPTIME_MS && r.attempt > 0 && r.delayMs >= 2 * Math.max(first, 100),
    );
    if (late.length === 0) return null;
    const worst = late[0]!;
    return {
      severity: 'warning',
      code: this.code,
      message: `After a connection that stayed up ${formatMs(worst.uptimeMs!)}, the client waited ${formatMs(worst.delayMs)} (attempt ${worst.attempt + 1} of its sequence, which starts at ${formatMs(first)}): the retry count was not reset.`,
      evidence: { uptimeMs: Math.round(worst.uptimeMs!), delayMs: Math.round(worst.delayMs), attempt: worst.attempt, firstDelayMs: first, count: late.length },
      advice: 'Reset the attempt count once a connection has stayed up for a while (reconnecting-websocket: minUptime), so a new outage starts at the shortest delay.',
    };
  },
};
