import type { Classifier } from './types.ts';
import { plainRequests } from './http-cycles.ts';
import { formatMs } from '../stats.ts';
import { openUntil } from '../context.ts';

/** A body delivered over time, not at once: at least this many chunks... */
export const STREAM_MIN_CHUNKS = 2;
/** ...spread over at least this long (a plain response arrives in one burst). */
export const STREAM_MIN_SPAN_MS = 1000;

/** A long-lived fetch/XHR body that is not SSE (NDJSON, chunked JSON, multipart...). */
export const streamingClassifier: Classifier = {
  kind: 'streaming',
  title: 'Streamed response',
  description: `A fetch/XHR response whose body arrives in ${STREAM_MIN_CHUNKS}+ chunks spread over ${STREAM_MIN_SPAN_MS / 1000}+ s and is not text/event-stream.`,
  classify(ctx) {
    let streamed = 0;
    let chunks = 0;
    let longest = 0;
    for (const r of plainRequests(ctx)) {
      if (r.chunks.length < STREAM_MIN_CHUNKS) continue;
      const span = r.chunks[r.chunks.length - 1]!.t - r.chunks[0]!.t;
      if (span < STREAM_MIN_SPAN_MS) continue;
      streamed++;
      chunks += r.chunks.length;
      longest = Math.max(longest, openUntil(ctx, r) - r.start);
    }
    if (streamed === 0) return null;
    return {
      kind: 'streaming',
      confidence: Math.min(1, 0.7 + 0.05 * chunks),
      evidence: `${streamed} response${streamed === 1 ? '' : 's'} streamed ${chunks} chunks, longest open ${formatMs(longest)}`,
    };
  },
};
