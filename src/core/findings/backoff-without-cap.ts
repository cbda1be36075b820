import type { FindingRule } from './types.ts';
import { formatMs, maxOf } from '../stats.ts';

/** Above this, a growing delay without a ceiling leaves users disconnected long after the server is back. */
export const UNCAPPED_DELAY_MS = 60_000;

/** Exponential or linear backoff that keeps growing. */
export const noCap: FindingRule = {
  code: 'backoff-without-cap',
  title: 'Backoff without a cap',
  severity: 'warning',
  description: 'Uncapped exponential backoff reaches minutes: users stay offline long after recovery.',
  check({ reconnects }) {
    const b = reconnects.backoff;
    if (b === null || (b.model !== 'exponential' && b.model !== 'linear') || b.maxMs !== null) return null;
    const longest = maxOf(reconnects.reconnects.map((r) => r.delayMs));
    if (longest <= UNCAPPED_DELAY_MS) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: `Reconnect delays grew to ${formatMs(longest)} without levelling off.`,
      evidence: { longestDelayMs: longest, model: b.model, factor: b.factor },
      advice: 'Cap the delay (tens of seconds: socket.io-client caps at 5 s, reconnecting-websocket at 10 s, SignalR stops after 30 s).',
    };
  },
};
