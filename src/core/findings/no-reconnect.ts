import type { FindingRule } from './types.ts';
import type { ConnRecord } from '../model.ts';
import { formatMs } from '../stats.ts';

/** How long after a lost connection a missing retry becomes a finding (longer than SignalR's 2nd retry, socket.io's cap). */
export const NO_RECONNECT_AFTER_MS = 10_000;

/** The last connection of a channel ended abnormally (not by the page). */
export function endedAbnormally(r: ConnRecord | undefined): boolean {
  if (!r || r.end === null) return false;
  if (r.transport === 'websocket') return r.closeInitiator === 'server' && r.closeCode !== 1000;
  if (r.transport === 'eventsource') return r.endKind === 'error';
  return false;
}

/** A WebSocket/EventSource lost and never re-established (a WebSocket never reconnects by itself; docs/domain.md). */
export const noReconnect: FindingRule = {
  code: 'no-reconnect',
  title: 'Connection lost and not re-established',
  severity: 'warning',
  description: 'A raw WebSocket does not reconnect by itself; an EventSource stops retrying after a fatal error.',
  check({ ctx }) {
    const last = ctx.records[ctx.records.length - 1];
    if (!endedAbnormally(last)) return null;
    // An injected drop or offline window ends a native EventSource for good: the page hooks
    // cannot drive its built-in reconnect (README, known limitations). That is the tool's
    // doing, not the client's.
    if (last!.transport === 'eventsource' && ctx.faults.some((f) => (f.fault === 'drop' || f.fault === 'offline') && f.phase !== 'end' && f.t >= last!.start && f.t <= last!.end! + 100)) return null;
    const since = ctx.captureEnd - last!.end!;
    if (since < NO_RECONNECT_AFTER_MS) return null;
    const how = last!.closeCode !== null ? `close ${last!.closeCode}` : 'a fatal error';
    return {
      severity: 'warning',
      code: this.code,
      message: `The connection ended with ${how} and was not re-established in the remaining ${formatMs(since)} of the capture.`,
      evidence: { closeCode: last!.closeCode, sinceMs: Math.round(since), transport: ctx.transport },
      advice: 'Reconnect automatically with exponential backoff (1 s, 2 s, 4 s, 8 s ... capped) and jitter, and resume state after reconnecting.',
    };
  },
};
