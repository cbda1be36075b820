import type { FindingRule } from './types.ts';
import type { Finding } from '../report-types.ts';
import { IDLE_LIMIT_MS } from '../metrics/heartbeat.ts';
import { formatMs, maxOf, minOf, round1 } from '../stats.ts';

/**
 * An injected stall (incoming traffic held) tests dead-connection detection: a client
 * with a heartbeat timeout gives up on a silent connection within about one heartbeat
 * interval plus its timeout (engine.io-client: pingInterval + pingTimeout), then
 * reconnects. One without it hangs on a connection that NATs and proxies have cut
 * (mobile carriers drop idle TCP connections after 30-60 s; docs/domain.md).
 */
export const stallUndetected: FindingRule = {
  code: 'stall-undetected',
  title: 'Dead connection not detected',
  severity: 'warning',
  description: 'During an injected stall the client neither closed the silent connection nor opened a new one.',
  check({ ctx, heartbeat, stalls }): Finding | null {
    if (stalls.length === 0) return null;
    const hb = heartbeat.heartbeat;
    const timeoutMs = ctx.protocolTimings?.timeoutMs ?? null;
    // How long a client with a heartbeat timeout needs to notice: one beat, then its timeout
    // (the protocol's, else one more beat); without a heartbeat seen, the 30 s bound of docs/domain.md.
    const expectedMs = hb?.intervalMs ? hb.intervalMs + (timeoutMs ?? hb.intervalMs) : IDLE_LIMIT_MS;
    const detected = stalls.filter((s) => s.detectedAfterMs !== null);
    const missed = stalls.filter((s) => s.detectedAfterMs === null && s.reaction !== 'server-closed');
    const serverClosed = stalls.filter((s) => s.reaction === 'server-closed');
    const longest = maxOf(stalls.map((s) => s.durationMs));
    const evidence = {
      stalls: stalls.length,
      detected: detected.length,
      detectedAfterMs: detected.length > 0 ? round1(maxOf(detected.map((s) => s.detectedAfterMs!))) : null,
      serverClosed: serverClosed.length,
      longestStallMs: round1(longest),
      expectedWithinMs: round1(expectedMs),
    };
    if (missed.length === 0 && detected.length === 0) {
      const first = minOf(serverClosed.map((s) => s.serverClosedAfterMs ?? s.durationMs));
      return {
        severity: 'info',
        code: this.code,
        message: `The server ended the stalled connection ${formatMs(first)} into the stall, before the client reacted: the stall did not test the client's dead-connection detection.`,
        evidence,
        advice: `Inject a stall shorter than the server's own timeout (it closed after ${formatMs(first)}), but longer than the client's heartbeat needs to notice (${formatMs(expectedMs)}).`,
      };
    }
    if (missed.length === 0) {
      const slowest = evidence.detectedAfterMs!;
      return {
        severity: 'info',
        code: this.code,
        message: `The client noticed ${detected.length === 1 ? 'the injected stall' : `all ${detected.length} injected stalls`} and gave up on the silent connection after ${detected.length === 1 ? '' : 'at most '}${formatMs(slowest)} (${detected.map((s) => s.reaction).filter((r, i, a) => a.indexOf(r) === i).join(' / ')}).`,
        evidence,
        advice: slowest > IDLE_LIMIT_MS ? 'Detection takes longer than the 30 s after which NATs and proxies drop idle connections: shorten the heartbeat timeout.' : 'Dead-connection detection works; keep the heartbeat timeout under 30 s.',
      };
    }
    const longMissed = missed.filter((s) => s.durationMs >= expectedMs);
    if (longMissed.length === 0) {
      return {
        severity: 'info',
        code: this.code,
        message: `The client did not give up on the connection during a ${formatMs(maxOf(missed.map((s) => s.durationMs)))} stall, shorter than the ${formatMs(expectedMs)} its heartbeat needs to notice one.`,
        evidence,
        advice: `Inject a stall longer than ${formatMs(expectedMs)} to test dead-connection detection.`,
      };
    }
    return {
      severity: 'warning',
      code: this.code,
      message: `The client did not notice that the connection delivered nothing for ${formatMs(maxOf(longMissed.map((s) => s.durationMs)))}: it neither closed it nor reconnected, so a connection silently cut by a NAT or proxy would hang it.`,
      evidence,
      advice: hb?.intervalMs
        ? 'Close and reconnect when no heartbeat reply (or any message) arrives within a timeout after each ping, as engine.io-client does with pingInterval + pingTimeout.'
        : 'Add a heartbeat with a timeout: ping every 15-30 s and close and reconnect when no reply arrives in time (mobile NATs drop idle connections after 30-60 s).',
    };
  },
};
