import type { FindingRule } from './types.ts';
import { REFERENCE_USERS } from './types.ts';
import { formatMs, round1 } from '../stats.ts';

/** The example of docs/domain.md, "Polling": polling every 2 s = 500 req/s per 1,000 users. At or above that rate, load is high. */
export const HIGH_POLL_RATE_PER_USER = 0.5;

/** A polling interval so short that server load is high regardless of changes. */
export const pollingLoad: FindingRule = {
  code: 'polling-load-high',
  title: 'Polling interval drives high load',
  severity: 'warning',
  description: 'Polling load grows linearly with users, whether or not anything changed: 1,000 users polling every 2 s make 500 requests/s.',
  check({ classification, rates, latency }) {
    if (classification.kind !== 'polling' || rates === null || rates.requestsPerSecond < HIGH_POLL_RATE_PER_USER) return null;
    const rps = rates.requestsPerSecond * REFERENCE_USERS;
    return {
      severity: 'warning',
      code: this.code,
      message: `Polling every ${formatMs(latency.intervalMs?.median ?? 1000 / rates.requestsPerSecond)} puts ${round1(rps).toLocaleString('en-US')} requests/s on the server per ${REFERENCE_USERS.toLocaleString('en-US')} users, whether or not anything changed.`,
      evidence: { requestsPerSecondPerUser: round1(rates.requestsPerSecond * 1000) / 1000, requestsPerSecondPer1000Users: round1(rps) },
      advice: 'Poll less often, or switch to SSE (one connection per user, messages only when data changes) or long polling.',
    };
  },
};
