import type { FindingRule } from './types.ts';
import { IDLE_LIMIT_MS } from '../metrics/heartbeat.ts';
import { formatMs } from '../stats.ts';

/** Silence on an open connection longer than mobile NATs and proxies tolerate. */
export const idleGap: FindingRule = {
  code: 'idle-gap-over-nat-timeout',
  title: 'Idle gap above 30 s',
  severity: 'warning',
  description: 'Mobile carriers kill idle TCP connections after 30-60 s, and many proxies do the same.',
  check({ heartbeat }) {
    const hb = heartbeat.heartbeat;
    if (hb === null || hb.maxIdleMs <= IDLE_LIMIT_MS) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: `The connection was silent for ${formatMs(hb.maxIdleMs)}: mobile NATs and many proxies drop idle connections after 30-60 s.`,
      evidence: { maxIdleMs: hb.maxIdleMs, limitMs: IDLE_LIMIT_MS, idleGaps: heartbeat.idleGaps.length },
      advice: 'Keep traffic on the connection at least every 15-30 s (a heartbeat), and reconnect with backoff when it is cut anyway.',
    };
  },
};
