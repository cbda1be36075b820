import type { FindingRule } from './types.ts';
import { formatMs } from '../stats.ts';

/** Below this ceiling, backoff barely slows a reconnect storm. */
export const LOW_CAP_MS = 2000;

/** A backoff ceiling so low that an outage still means a retry every second or two from every client. */
export const capTooLow: FindingRule = {
  code: 'backoff-cap-too-low',
  title: 'Backoff cap too low',
  severity: 'warning',
  description: 'A low ceiling turns a long outage into a steady storm of retries.',
  check({ reconnects }) {
    const b = reconnects.backoff;
    if (b === null || b.model === 'fixed' || b.maxMs === null || b.maxMs >= LOW_CAP_MS) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: `Reconnect delays level off at ${formatMs(b.maxMs)}: during an outage every client retries every ${formatMs(b.maxMs)}.`,
      evidence: { maxMs: b.maxMs, model: b.model, thresholdMs: LOW_CAP_MS },
      advice: 'Raise the cap to several seconds or more (socket.io-client defaults to 5 s, reconnecting-websocket to 10 s).',
    };
  },
};
