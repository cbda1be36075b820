/**
 * GraphQL over Server-Sent Events (graphql-sse 2.6.1, PROTOCOL.md; lib/handler.js,
 * lib/common.js print): the client POSTs a GraphQL request (fetch, `accept:
 * text/event-stream`) and reads an SSE stream of `next` events (an
 * ExecutionResult) ended by a `complete` event (`event: complete\ndata:\n\n`).
 * Single connection mode: a PUT reserves a stream (201 with a token in the
 * body), the stream is a GET carrying the token in `x-graphql-event-stream-token`
 * (or `?token=`), operations are POSTs with the token answered 202, `next` data
 * is `{id, payload}` and `complete` data `{id}`, and a DELETE `?operationId=`
 * stops one. The server writes an SSE comment `:` at once and every 12 s.
 * Labels such as `graphql-sse next id=…`, `graphql-sse complete`.
 */
import type { DecodedMessage, MessageContext, MessageRole, ProtocolDecoder, ProtocolHint, ProtocolTimings } from './types.ts';
import type { Payload } from '../events.ts';
import { defineDecoder, hintUrl, isRecord, parseJson, payloadText, plainMessage, quote } from './util.ts';

export const GRAPHQL_SSE_TIMINGS: ProtocolTimings = {
  heartbeatMs: 12_000,
  heartbeatDirection: 'server',
  notes:
    'The server writes an SSE comment (":") when the stream opens and every 12 s on a timer, in both modes; the client keeps no timer of its own and notices a dead stream only when the connection fails.',
  source: 'graphql-sse 2.6.1 lib/handler.js (createStream subscribe: msgs.next(":\\n\\n"); setInterval(..., 12000))',
};

/** graphql-sse's reservation header and query parameter (lib/common.js TOKEN_HEADER_KEY, TOKEN_QUERY_KEY). */
export const GRAPHQL_SSE_TOKEN_HEADER = 'x-graphql-event-stream-token';

/** An ExecutionResult (GraphQL over HTTP): data and/or errors, or an incremental-delivery part. */
function isExecutionResult(v: unknown): v is Record<string, unknown> {
  if (!isRecord(v)) return false;
  const keys = Object.keys(v);
  if (keys.length === 0) return false;
  const allowed = new Set(['data', 'errors', 'extensions', 'hasNext', 'incremental', 'pending', 'completed', 'label', 'path']);
  if (!keys.every((k) => allowed.has(k))) return false;
  return 'data' in v || Array.isArray(v.errors) || 'incremental' in v || typeof v.hasNext === 'boolean';
}

function resultLabel(result: Record<string, unknown>): { role: MessageRole; text: string } {
  const errors = Array.isArray(result.errors) ? result.errors : [];
  const hasData = result.data !== undefined && result.data !== null;
  const fields = isRecord(result.data) ? Object.keys(result.data).slice(0, 3).join(',') : '';
  let text = fields ? ` ${fields}` : '';
  if (errors.length) {
    const first = isRecord(errors[0]) && typeof errors[0].message === 'string' ? ` ${quote(errors[0].message)}` : '';
    text += ` errors=${errors.length}${first}`;
  }
  return { role: errors.length && !hasData ? 'error' : 'data', text };
}

/** A reservation token as graphql-sse's handler answers a PUT (a UUID by default): one word, nothing else. */
function isToken(text: string): boolean {
  return /^[\w.~+/=-]{8,256}$/.test(text.trim());
}

function decodeGraphqlSse(data: Payload, context: MessageContext | undefined): DecodedMessage | null {
  const text = payloadText(data);
  const event = context?.event ?? null;
  const json = text.trim() === '' ? null : parseJson(text);
  if (event === 'complete') {
    const id = json && isRecord(json.value) && typeof json.value.id === 'string' ? json.value.id : null;
    if (text.trim() !== '' && id === null) return null;
    return { protocol: 'graphql-sse', role: 'control', label: `graphql-sse complete${id !== null ? ` id=${id}` : ''}`, value: { event, id } };
  }
  if (event === 'next' || event === null || event === 'message') {
    if (!json) {
      if (event === null && isToken(text)) {
        // The body of the reservation PUT (201 text/plain): the token the stream and the operations then carry.
        return { protocol: 'graphql-sse', role: 'handshake', label: 'graphql-sse reservation token', value: { token: text.trim() } };
      }
      return null;
    }
    const v = json.value;
    // Single connection mode: {id, payload}.
    if (isRecord(v) && typeof v.id === 'string' && isExecutionResult(v.payload)) {
      const r = resultLabel(v.payload);
      return { protocol: 'graphql-sse', role: r.role, label: `graphql-sse ${event ?? 'result'} id=${v.id}${r.text}`, value: { event, ...v } };
    }
    if (isExecutionResult(v)) {
      const r = resultLabel(v);
      return { protocol: 'graphql-sse', role: r.role, label: `graphql-sse ${event ?? 'result'}${r.text}`, value: { event, payload: v } };
    }
  }
  return null;
}

function hasTokenHeader(hint: ProtocolHint): boolean {
  return (hint.requestHeaders ?? []).some(([name]) => name.toLowerCase() === GRAPHQL_SSE_TOKEN_HEADER);
}

function detectGraphqlSse(hint: ProtocolHint): number {
  if (hint.transport === 'websocket') return 0;
  const url = hintUrl(hint);
  // Single connection mode: every request after the reservation carries the token.
  const token = hasTokenHeader(hint) || (url?.searchParams.has('token') && /graphql/i.test(url.pathname));
  let strong = 0;
  let fits = 0;
  for (const s of hint.samples) {
    const event = s.event ?? null;
    if (s.data.size === 0 && event !== 'complete') continue;
    // Other event names are another protocol on SSE.
    if (event !== null && event !== 'next' && event !== 'complete' && event !== 'message') return 0;
    const d = decodeGraphqlSse(s.data, { event });
    if (!d) {
      if (s.data.truncated) continue;
      return 0;
    }
    if (event === 'next' || event === 'complete') strong++;
    else fits++;
  }
  if (token && strong + fits > 0) return 0.95;
  if (token) return 0.85;
  if (strong) return Math.min(0.9, 0.7 + 0.05 * strong);
  // The reservation: a PUT answered 201 with a token, on a GraphQL endpoint.
  if (hint.method === 'PUT' && hint.status === 201 && fits > 0 && /graphql/i.test(url?.pathname ?? '')) return 0.65;
  return 0;
}

export const graphqlSseDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'graphql-sse',
    name: 'GraphQL over SSE (graphql-sse)',
    timings: GRAPHQL_SSE_TIMINGS,
    detect: detectGraphqlSse,
    decode(data, _dir, context) {
      return decodeGraphqlSse(data, context) ?? plainMessage('graphql-sse', data);
    },
  },
  (data) => plainMessage('graphql-sse', data),
);
