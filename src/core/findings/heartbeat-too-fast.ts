import { REFERENCE_USERS, type FindingRule } from './types.ts';
import { formatMs, round1 } from '../stats.ts';

/** Faster than this, heartbeats cost more than the 15-30 s of docs/domain.md buys. */
export const HEARTBEAT_WASTE_BELOW_MS = 5000;

/** A heartbeat far faster than needed: traffic and battery spent for nothing. */
export const heartbeatTooFast: FindingRule = {
  code: 'heartbeat-too-fast',
  title: 'Heartbeat faster than needed',
  severity: 'info',
  description: 'A heartbeat every 15-30 s keeps idle paths open; much faster heartbeats keep the cellular radio awake and cost traffic.',
  check({ heartbeat, ctx }) {
    const hb = heartbeat.heartbeat;
    if (hb === null || hb.intervalMs === null || hb.intervalMs >= HEARTBEAT_WASTE_BELOW_MS) return null;
    return {
      severity: 'info',
      code: this.code,
      message: `Heartbeat every ${formatMs(hb.intervalMs)}: ${Math.round(30_000 / hb.intervalMs)}× more often than a 30 s heartbeat, ${round1((REFERENCE_USERS * 1000) / hb.intervalMs)} heartbeats/s per 1,000 users.`,
      evidence: { intervalMs: hb.intervalMs, direction: hb.direction, source: hb.source, protocol: ctx.protocol },
      advice: 'A heartbeat every 15-30 s is enough to keep NATs open; persistent chatter also keeps the mobile radio from sleeping.',
    };
  },
};
