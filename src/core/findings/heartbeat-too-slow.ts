import type { FindingRule } from './types.ts';
import { IDLE_LIMIT_MS } from '../metrics/heartbeat.ts';
import { formatMs } from '../stats.ts';

/** A heartbeat slower than the idle time intermediaries tolerate does not keep the connection open. */
export const heartbeatTooSlow: FindingRule = {
  code: 'heartbeat-too-slow',
  title: 'Heartbeat slower than 30 s',
  severity: 'warning',
  description: 'Heartbeats every 15-30 s keep a connection open; NATs cut idle connections after 30-60 s.',
  check({ heartbeat }) {
    const hb = heartbeat.heartbeat;
    if (hb === null || hb.intervalMs === null || hb.intervalMs <= IDLE_LIMIT_MS) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: `Heartbeat every ${formatMs(hb.intervalMs)}, slower than the 30 s that mobile NATs and proxies tolerate.`,
      evidence: { intervalMs: hb.intervalMs, limitMs: IDLE_LIMIT_MS, direction: hb.direction, source: hb.source },
      advice: 'Lower the heartbeat interval to 15-30 s.',
    };
  },
};
