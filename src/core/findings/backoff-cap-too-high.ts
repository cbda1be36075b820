import type { FindingRule } from './types.ts';
import { formatMs } from '../stats.ts';
import { UNCAPPED_DELAY_MS } from './backoff-without-cap.ts';

/** A ceiling above a minute: users stay disconnected up to that long after the server is back. */
export const backoffCapTooHigh: FindingRule = {
  code: 'backoff-cap-too-high',
  title: 'Backoff cap too high',
  severity: 'info',
  description: 'A cap of minutes keeps users offline long after an outage ends; backoff that reconnects within seconds (1 s, 2 s, 4 s, 8 s, capped around 30 s) recovers as soon as the server does.',
  check({ reconnects }) {
    const b = reconnects.backoff;
    if (b === null || b.model === 'fixed' || b.maxMs === null || b.maxMs <= UNCAPPED_DELAY_MS || b.confidence === 'low') return null;
    return {
      severity: 'info',
      code: this.code,
      message: `Reconnect delays level off at ${formatMs(b.maxMs)}: after an outage, users can stay disconnected that long after the server is back.`,
      evidence: { maxMs: b.maxMs, thresholdMs: UNCAPPED_DELAY_MS },
      advice: 'Cap the delay at tens of seconds (socket.io-client 5 s, reconnecting-websocket 10 s, SignalR 30 s) and reconnect at once on the browser\'s online event.',
    };
  },
};
