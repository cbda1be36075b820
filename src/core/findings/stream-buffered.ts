import type { FindingRule } from './types.ts';
import { allMessages } from '../model.ts';

/** Messages this close together arrived in one network read. */
const BURST_WINDOW_MS = 50;
/** A burst follows a silence at least this long. */
const BURST_SILENCE_MS = 1000;
const BURST_MIN_MESSAGES = 3;

/** Events that arrive in bursts after silences: an intermediary buffers the stream (docs/domain.md, "What sits between"). */
export const streamBuffered: FindingRule = {
  code: 'stream-buffered',
  title: 'Stream delivered in bursts',
  severity: 'warning',
  description: 'Corporate proxies, CDNs and mobile carriers may buffer SSE and streamed responses (see docs/domain.md).',
  check({ ctx, classification }) {
    if (classification.kind !== 'sse' && classification.kind !== 'streaming') return null;
    let bursts = 0;
    let inBursts = 0;
    let total = 0;
    for (const r of ctx.records) {
      const msgs = allMessages(r).filter((m) => m.dir === 'in' && m.kind !== 'sse-comment');
      total += msgs.length;
      let i = 0;
      while (i < msgs.length) {
        let j = i;
        while (j + 1 < msgs.length && msgs[j + 1]!.t - msgs[i]!.t <= BURST_WINDOW_MS) j++;
        const silenceBefore = i === 0 ? msgs[i]!.t - (r.openAt ?? r.responseAt ?? r.start) : msgs[i]!.t - msgs[i - 1]!.t;
        if (j - i + 1 >= BURST_MIN_MESSAGES && silenceBefore >= BURST_SILENCE_MS) {
          bursts++;
          inBursts += j - i + 1;
        }
        i = j + 1;
      }
    }
    if (bursts < 2 || inBursts < 0.5 * total) return null;
    return {
      severity: 'warning',
      code: this.code,
      message: `${inBursts} of ${total} events arrived in ${bursts} bursts after silences: something between server and page is buffering the stream.`,
      evidence: { bursts, eventsInBursts: inBursts, events: total, windowMs: BURST_WINDOW_MS },
      advice: 'Disable response buffering for the stream (e.g. "X-Accel-Buffering: no" on nginx, no compression of text/event-stream, Cache-Control: no-transform) or flush after each event.',
    };
  },
};
