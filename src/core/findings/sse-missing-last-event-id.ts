import type { FindingRule } from './types.ts';

/** A fetch/XHR SSE client that resumes without Last-Event-ID loses every event sent while it was away. */
export const sseMissingLastEventId: FindingRule = {
  code: 'sse-missing-last-event-id',
  title: 'SSE resume without Last-Event-ID',
  severity: 'warning',
  description: 'On reconnect, EventSource sends the last event id as Last-Event-ID; fetch-based clients must send it themselves.',
  check({ reconnects }) {
    const missing = reconnects.reconnects.filter((r) => r.headersVisible && r.lastEventId !== null && r.lastEventId !== '' && r.sentLastEventId === null);
    if (missing.length === 0) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: `Reconnected ${missing.length} time${missing.length === 1 ? '' : 's'} without a Last-Event-ID header after events with ids (last id "${missing[0]!.lastEventId!.slice(0, 40)}"): events sent during the gap are lost.`,
      evidence: { count: missing.length, lastEventId: missing[0]!.lastEventId!.slice(0, 80) },
      advice: 'Send the last received id in a Last-Event-ID header when re-requesting the stream (EventSource does this automatically).',
    };
  },
};
