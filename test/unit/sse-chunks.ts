/** Feeding the SSE parser (src/core/sse-parser.ts) in pieces, for its tests. */
import { createSseParser, type ParsedSseEvent } from '../../src/core/sse-parser.ts';

/** Everything the parser reported. */
export interface Parsed {
  events: ParsedSseEvent[];
  comments: string[];
  retries: number[];
}

/** The parser's output for `chunks` pushed one by one, then ended. */
export function parseChunks(chunks: readonly string[]): Parsed {
  const out: Parsed = { events: [], comments: [], retries: [] };
  const parser = createSseParser(
    (e) => out.events.push(e),
    (c) => out.comments.push(c),
    (r) => out.retries.push(r),
  );
  for (const c of chunks) parser.push(c);
  parser.end();
  return out;
}

/** `text` cut at the given positions (modulo its length + 1, any order; a repeated position gives an empty chunk). */
export function cutAt(text: string, cuts: readonly number[]): string[] {
  const points = cuts.map((c) => c % (text.length + 1)).sort((a, b) => a - b);
  const chunks: string[] = [];
  let prev = 0;
  for (const p of points) {
    chunks.push(text.slice(prev, p));
    prev = p;
  }
  chunks.push(text.slice(prev));
  return chunks;
}
