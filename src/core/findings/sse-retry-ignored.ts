import type { FindingRule } from './types.ts';

/** The SSE `retry:` field sets the reconnection time; a client that ignores it defeats the server's load control. */
export const sseRetryIgnored: FindingRule = {
  code: 'sse-retry-ignored',
  title: 'SSE retry: ignored',
  severity: 'warning',
  description: 'An SSE retry: field sets the reconnection time in milliseconds; a fetch-based SSE client must honour it.',
  check({ reconnects }) {
    const off = reconnects.reconnects.filter(
      (r) => r.sseRetryMs !== null && (r.delayMs < 0.5 * r.sseRetryMs || r.delayMs > 2 * r.sseRetryMs + 1000),
    );
    if (off.length === 0) return null;
    const first = off[0]!;
    return {
      severity: 'warning',
      code: this.code,
      message: `The server asked for retry: ${first.sseRetryMs} ms, but the client reconnected after ${Math.round(first.delayMs)} ms (${off.length} time${off.length === 1 ? '' : 's'}).`,
      evidence: { retryMs: first.sseRetryMs, delayMs: Math.round(first.delayMs), count: off.length },
      advice: 'Honour the stream\'s retry: value as the reconnection delay (EventSource does; fetch-based SSE clients must do it themselves).',
    };
  },
};
