import type { Classifier } from './types.ts';
import { formatMs } from '../stats.ts';
import { openUntil } from '../context.ts';

/**
 * A WebSocket channel, or a WebTransport one: the transport says so. Both are one long-lived,
 * bidirectional connection per session that either side writes to when it likes, which is what
 * this kind means to the metrics (heartbeat, stalls, reconnects); a WebTransport channel's
 * evidence also counts its streams and datagrams, and names the error of a session that failed.
 */
export const websocketClassifier: Classifier = {
  kind: 'websocket',
  title: 'WebSocket',
  description: 'Connections opened with the WebSocket API, or sessions opened with the WebTransport API (bidirectional push).',
  classify(ctx) {
    if (ctx.transport !== 'websocket' && ctx.transport !== 'webtransport') return null;
    const wt = ctx.transport === 'webtransport';
    let inCount = 0;
    let outCount = 0;
    let openMs = 0;
    let streams = 0;
    let datagrams = 0;
    let failed = 0;
    let lastError: string | null = null;
    for (const r of ctx.records) {
      for (const m of r.messages) {
        m.dir === 'in' ? inCount++ : outCount++;
        if (m.kind === 'wt-datagram') datagrams++;
      }
      streams += r.wtStreams.length;
      if (r.openAt !== null) openMs += openUntil(ctx, r) - r.openAt;
      if (r.endKind === 'error') {
        failed++;
        lastError = r.errorReason;
      }
    }
    const n = ctx.records.length;
    if (!wt) {
      return {
        kind: 'websocket',
        confidence: 1,
        evidence: `${n} connection${n === 1 ? '' : 's'}, ${inCount + outCount} messages (${inCount} in, ${outCount} out), open ${formatMs(openMs)} in total`,
      };
    }
    const failure = failed > 0 ? `; ${failed} failed${lastError ? ` (${lastError})` : ''}` : '';
    return {
      kind: 'websocket',
      confidence: 1,
      evidence:
        `${n} WebTransport session${n === 1 ? '' : 's'}, ${streams} stream${streams === 1 ? '' : 's'}, ` +
        `${inCount + outCount} messages (${inCount} in, ${outCount} out; ${datagrams} datagram${datagrams === 1 ? '' : 's'}), ` +
        `ready ${formatMs(openMs)} in total${failure}`,
    };
  },
};
