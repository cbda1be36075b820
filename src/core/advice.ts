/**
 * Per-channel advice from the decision tree and the intermediaries table of docs/domain.md:
 * bidirectional → WebSockets; server push → SSE; changes more often than every
 * 30 s → long polling; otherwise regular polling.
 */
import type { FindingInput } from './findings/types.ts';
import { allMessages } from './model.ts';
import { formatMs } from './stats.ts';

/** Data changing more often than this favours long polling over polling (docs/domain.md, decision tree). */
export const FREQUENT_CHANGE_MS = 30_000;

/** Application data messages the page sent (heartbeats and protocol control excluded). */
function dataOut(input: FindingInput): number {
  const beats = new Set(input.heartbeat.beats.filter((b) => b.dir === 'out').map((b) => b.t));
  let n = 0;
  for (const r of input.ctx.records) {
    for (const m of allMessages(r)) if (m.dir === 'out' && (m.role === null || m.role === 'data') && !beats.has(m.t)) n++;
  }
  return n;
}

/** One recommendation for a channel, or null when its technique fits what it does. */
export function adviseChannel(input: FindingInput): string | null {
  const { classification, waste, latency } = input;
  switch (classification.kind) {
    case 'polling': {
      const interval = latency.intervalMs?.median;
      if (interval === undefined) return null;
      const ratio = waste.wasteRatio ?? 0;
      const pct = Math.round(ratio * 100);
      const useful = waste.judged.length - waste.wasted;
      const every = useful > 0 && latency.intervalMs ? formatMs((interval * waste.judged.length) / useful) : null;
      if (ratio >= 0.5) {
        return `Server→client only, polled every ${formatMs(interval)}, ${pct}% of polls wasted${every ? `, about 1 update per ${every}` : ''}: use SSE (push when data changes; near-instant, low server load).`;
      }
      if (interval < FREQUENT_CHANGE_MS) {
        return `Polled every ${formatMs(interval)} (average staleness ${formatMs(interval / 2)}): data changes often, so long polling or SSE gives near-instant updates for less load.`;
      }
      return null;
    }
    case 'long-polling':
      return waste.wasteRatio !== null && waste.wasteRatio >= 0.5
        ? `${Math.round(waste.wasteRatio * 100)}% of held requests returned nothing new: SSE keeps one connection open for server→client updates instead of a request per event.`
        : null;
    case 'websocket': {
      // WebTransport is chosen for datagrams and independent streams, which SSE cannot replace.
      if (input.ctx.transport === 'webtransport') return null;
      const out = dataOut(input);
      const inCount = input.ctx.records.reduce((s, r) => s + r.messages.filter((m) => m.dir === 'in').length, 0);
      if (inCount >= 10 && out <= 1) {
        return `Server→client only (${inCount} messages in, ${out} data message${out === 1 ? '' : 's'} out): SSE would do, with built-in reconnection and fewer proxy problems.`;
      }
      return null;
    }
    default:
      return null;
  }
}
