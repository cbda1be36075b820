import type { FindingRule } from './types.ts';
import type { Finding } from '../report-types.ts';
import type { ConnRecord } from '../model.ts';
import { IDLE_LIMIT_MS } from '../metrics/heartbeat.ts';
import { formatMs, round1 } from '../stats.ts';
import { openUntil, type ChannelContext } from '../context.ts';

/**
 * How long the longest single connection of a record stayed open. A native EventSource is one record
 * across its reconnects, but each reconnect is a new HTTP stream: a stream runs from an `open` to the
 * next `error` (or the record's end), and a NAT sees each stream, not the object's lifetime.
 */
function longestStreamMs(r: ConnRecord, ctx: ChannelContext): number {
  const end = openUntil(ctx, r);
  if (r.opens.length <= 1) return end - (r.openAt ?? r.responseAt ?? end);
  let longest = 0;
  for (const open of r.opens) {
    const lost = r.errors.find((e) => e.t >= open);
    longest = Math.max(longest, (lost ? lost.t : end) - open);
  }
  return longest;
}

/** A connection open longer than idle intermediaries tolerate, with no heartbeat seen. */
export const noHeartbeat: FindingRule = {
  code: 'no-heartbeat',
  title: 'No heartbeat on a long-lived connection',
  severity: 'warning',
  description: 'Mobile carriers kill idle TCP connections after 30-60 s; a heartbeat every 15-30 s keeps them open and detects loss.',
  check({ ctx, heartbeat }): Finding | null {
    const hb = heartbeat.heartbeat;
    if (hb === null || hb.source !== null) return null;
    const longest = Math.max(0, ...ctx.records.map((r) => longestStreamMs(r, ctx)));
    if (longest < IDLE_LIMIT_MS) return null;
    const timings = ctx.protocolTimings;
    if (timings?.heartbeatLevel === 'control-frame') {
      return {
        severity: 'info',
        code: this.code,
        message: `No application-level heartbeat seen on a connection open ${formatMs(longest)}; ${ctx.protocol}'s default heartbeat${timings.heartbeatMs ? ` (every ${formatMs(timings.heartbeatMs)})` : ''} uses WebSocket ping/pong control frames, which page scripts cannot see.`,
        evidence: { longestConnectionMs: round1(longest), maxIdleMs: hb.maxIdleMs, protocol: ctx.protocol, defaultHeartbeatMs: timings.heartbeatMs ?? null },
        advice: `Check that the server keeps its control-frame heartbeat enabled (${timings.source}) and that it stays under 30 s.`,
      };
    }
    const invisible =
      ctx.transport === 'websocket'
        ? ' WebSocket ping/pong control frames never reach page scripts, so a control-frame heartbeat may exist without being visible here.'
        : ctx.transport === 'eventsource'
          ? ' SSE comment lines (": keep-alive") never reach a native EventSource, so a comment heartbeat may exist without being visible here.'
          : ctx.transport === 'webtransport'
            ? ' QUIC PING frames never reach page scripts, so a transport-level keep-alive may exist without being visible here.'
            : '';
    return {
      severity: hb.maxIdleMs > IDLE_LIMIT_MS ? 'warning' : 'info',
      code: this.code,
      message: `No application-level heartbeat seen on a connection open ${formatMs(longest)}.${invisible}`,
      evidence: { longestConnectionMs: round1(longest), maxIdleMs: hb.maxIdleMs, transport: ctx.transport },
      advice: 'Send a small heartbeat every 15-30 s (mobile NATs drop idle connections after 30-60 s) so that dead connections are detected and idle ones are kept open.',
    };
  },
};
