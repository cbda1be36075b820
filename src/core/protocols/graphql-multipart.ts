/**
 * GraphQL incremental delivery over `multipart/mixed` (graphql/graphql-over-http
 * rfcs/IncrementalDelivery.md: `@defer`/`@stream`; graphql-helix, GraphQL Yoga,
 * Apollo Router) and Apollo's multipart subscriptions
 * (`multipart/mixed;boundary="graphql";subscriptionSpec=1.0`, apollographql/router
 * docs/subscription-multipart-protocol.md). The response body is a MIME multipart
 * stream (RFC 2046 §5.1): `--<boundary>` lines, each part's headers
 * (`content-type: application/json`), a blank line and a JSON body, then
 * `--<boundary>--` at the end. The boundary is a parameter of the response's
 * content type, which the capture does not keep: it is read from the body's
 * first delimiter line.
 *
 * Incremental delivery: the first part is the initial result (`data`,
 * `hasNext: true`, `pending` in the 2023 format), then subsequent payloads
 * (`incremental: [...]`, `completed`, or the older `{data|items, path, label}`),
 * the last one with `hasNext: false`. Subscriptions: each event is
 * `{"payload": ExecutionResult}`, a transport error `{"payload": null, "errors":
 * [...]}`, and the router writes an empty part `{}` as a heartbeat.
 * Labels such as `graphql-multipart initial {hero} hasNext=true`,
 * `graphql-multipart subsequent (incremental ×1) hasNext=false`,
 * `graphql-multipart heartbeat`, `graphql-multipart subscription next {ticks}`.
 */
import type { Direction, Payload } from '../events.ts';
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolHint, ProtocolTimings } from './types.ts';
import { combineMessages, defineDecoder, hintUrl, isRecord, parseJson, payloadText, plainMessage, quote } from './util.ts';

export const GRAPHQL_MULTIPART_TIMINGS: ProtocolTimings = {
  heartbeatMs: 5_000,
  heartbeatDirection: 'server',
  notes:
    'Apollo Router writes an empty part ({}) every 5 s on a multipart subscription; the client keeps no timer. @defer/@stream responses have no heartbeat: they end with hasNext=false.',
  source: 'apollographql/router apollo-router/src/protocols/multipart.rs (HEARTBEAT_INTERVAL = Duration::from_secs(5)), docs subscription-multipart-protocol ("Heartbeats")',
};

export interface MultipartPart {
  headers: Record<string, string>;
  body: string;
  /** The body ended inside this part. */
  cut: boolean;
}

/** A part's header lines and body (what lies between two delimiter lines). */
function partOf(raw: string): { headers: Record<string, string>; body: string } {
  const split = /\r?\n\r?\n/.exec(raw);
  const headerText = raw.startsWith('\r\n') || raw.startsWith('\n') ? '' : split ? raw.slice(0, split.index) : raw;
  const body = raw.startsWith('\r\n') ? raw.slice(2) : raw.startsWith('\n') ? raw.slice(1) : split ? raw.slice(split.index + split[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of headerText.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}

/** RFC 2046 §5.1.1: the first delimiter line (a preamble of blank lines only), its boundary 1 to 70 characters. */
const FIRST_DELIMITER = /^(?:[ \t]*\r?\n)*--([^\r\n]{1,70}?)[ \t]*\r?\n/;

/** The parts of a multipart body, the boundary read from its first delimiter; null when it is not multipart. */
export function splitMultipart(text: string, truncated: boolean): { boundary: string; parts: MultipartPart[]; closed: boolean } | null {
  const first = FIRST_DELIMITER.exec(text);
  if (!first) return null;
  const boundary = first[1]!;
  if (boundary.endsWith('--') && boundary.length > 2 && text.length === first[0].length) return null;
  const delimiter = `\n--${boundary}`;
  const parts: MultipartPart[] = [];
  let pos = first[0].length;
  let closed = false;
  for (;;) {
    const next = text.indexOf(delimiter, pos);
    const raw = next < 0 ? text.slice(pos) : text.slice(pos, next).replace(/\r$/, '');
    const { headers, body } = partOf(raw);
    if (next < 0) {
      // No delimiter after this part: the stream was cut (or is still open).
      if (raw.trim() !== '') parts.push({ headers, body, cut: true });
      break;
    }
    parts.push({ headers, body, cut: false });
    const after = next + delimiter.length;
    if (text.startsWith('--', after)) {
      closed = true;
      break;
    }
    const eol = text.indexOf('\n', after);
    if (eol < 0) break;
    pos = eol + 1;
  }
  if (!closed && !truncated && parts.length === 0) return null;
  return { boundary, parts, closed };
}

/** An ExecutionResult or an incremental-delivery payload. */
function isResultShape(v: Record<string, unknown>): boolean {
  const allowed = new Set(['data', 'errors', 'extensions', 'hasNext', 'incremental', 'pending', 'completed', 'label', 'path', 'items', 'id']);
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => allowed.has(k)) && ('data' in v || Array.isArray(v.errors) || 'incremental' in v || 'items' in v || typeof v.hasNext === 'boolean' || Array.isArray(v.completed));
}

function fieldsOf(data: unknown): string {
  if (!isRecord(data)) return '';
  const keys = Object.keys(data);
  return ` {${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''}}`;
}

function errorsOf(v: Record<string, unknown>): string {
  const errors = Array.isArray(v.errors) ? v.errors : [];
  if (errors.length === 0) return '';
  const first = isRecord(errors[0]) && typeof errors[0].message === 'string' ? ` ${quote(errors[0].message)}` : '';
  return ` errors=${errors.length}${first}`;
}

const P = 'graphql-multipart';

/** One part decoded; null when it is not a GraphQL part. */
function decodePart(part: MultipartPart, index: number): DecodedMessage | null {
  const text = part.body.trim();
  if (part.cut && text === '') return { protocol: P, role: 'data', label: `${P} part (cut)`, value: null };
  const json = parseJson(text);
  if (!json || !isRecord(json.value)) {
    if (part.cut) return { protocol: P, role: 'data', label: `${P} part (cut)`, value: text };
    return null;
  }
  const v = json.value;
  // Apollo multipart subscriptions: {} is the heartbeat, {payload} an event.
  if (Object.keys(v).length === 0) return { protocol: P, role: 'heartbeat', label: `${P} heartbeat`, value: v };
  if ('payload' in v && Object.keys(v).every((k) => k === 'payload' || k === 'errors')) {
    const payload = isRecord(v.payload) ? v.payload : null;
    if (!payload) return { protocol: P, role: 'error', label: `${P} subscription error${errorsOf(v)}`, value: v };
    const errors = errorsOf(payload);
    const role: MessageRole = errors && payload.data == null ? 'error' : 'data';
    return { protocol: P, role, label: `${P} subscription next${fieldsOf(payload.data)}${errors}`, value: v };
  }
  if (!isResultShape(v)) return null;
  const hasNext = typeof v.hasNext === 'boolean' ? ` hasNext=${v.hasNext}` : '';
  const errors = errorsOf(v);
  let label: string;
  let role: MessageRole = 'data';
  if (Array.isArray(v.incremental)) {
    label = `${P} subsequent (incremental ×${v.incremental.length})`;
  } else if (index === 0 && 'data' in v) {
    label = `${P} initial${fieldsOf(v.data)}`;
  } else if ('data' in v || 'items' in v) {
    // The 2022 format: each subsequent payload carries its own data or items, with a path and label.
    const path = Array.isArray(v.path) ? ` path=${v.path.join('.')}` : '';
    label = `${P} subsequent${'items' in v ? ' (items)' : ''}${path}`;
  } else {
    // {hasNext: false} alone, or completed/pending only.
    label = `${P}${Array.isArray(v.completed) ? ` completed ×${v.completed.length}` : ''}`;
    role = 'control';
  }
  if (errors && !('data' in v) && !Array.isArray(v.incremental)) role = 'error';
  return { protocol: P, role, label: `${label}${errors}${hasNext}`, value: v };
}

/** Every part of a multipart body decoded; null when the body is not GraphQL over multipart. */
export function decodeMultipart(data: Payload): DecodedMessage[] | null {
  if (data.size === 0) return null;
  const split = splitMultipart(payloadText(data), data.truncated);
  if (!split || split.parts.length === 0) return null;
  const out: DecodedMessage[] = [];
  for (const [i, part] of split.parts.entries()) {
    const d = decodePart(part, i);
    if (!d) return null;
    out.push(d);
  }
  return out;
}

/** Most text kept of one part not complete yet; beyond it the part is described as cut and the rest skipped to the next delimiter. */
const STREAM_PART_MAX_CHARS = 1024 * 1024;

const utf8Size = (text: string) => new TextEncoder().encode(text).length;

/**
 * A multipart body decoded as it streams in, chunk by chunk (the `http.chunk` texts of one
 * request, in order): each call takes the next chunk and returns the parts it completed, each
 * with its size, one message per part ({@link flattenDecoded}); a chunk that completes none
 * returns no message. A part is complete at the delimiter that follows it (Apollo Router writes
 * it at the end of each part's chunk: apollo-router/src/protocols/multipart.rs), or, when the
 * delimiter comes first (graphql-helix, the IncrementalDelivery RFC's examples), as soon as its
 * body is a whole JSON object: it is then not reported again at the next delimiter. Text the
 * capture left out of a chunk cuts the part it falls in (described as cut), and what follows is
 * skipped to the next delimiter. After the close delimiter the next chunk starts a new body.
 */
function multipartStream(): (message: { dir: Direction; data: Payload }) => DecodedMessage {
  let boundary: string | null = null;
  /** Text of the body not consumed: from the start of the current part (or of a delimiter line). */
  let buf = '';
  /** The current part was reported already (its JSON body was whole before its delimiter came). */
  let reported = false;
  /** After a delimiter: its line's end (or `--`, the close) is still to come. */
  let afterDelimiter = false;
  /** Text was lost in the current part: skip to the next delimiter. */
  let skipping = false;
  let index = 0;
  let notMultipart = false;
  let parts: DecodedMessage[] = [];

  const report = (raw: string, cut: boolean): void => {
    const d = decodePart({ ...partOf(raw), cut }, index) ?? { protocol: P, role: 'data' as const, label: `${P} part ${quote(raw.trim())}`, value: raw };
    index++;
    parts.push({ ...d, size: utf8Size(raw) });
  };
  const reset = (): void => {
    boundary = null;
    buf = '';
    reported = afterDelimiter = skipping = false;
    index = 0;
  };

  const feed = (text: string, lost: boolean): void => {
    buf += text;
    for (;;) {
      if (boundary === null) {
        const first = FIRST_DELIMITER.exec(buf);
        if (!first) {
          // Past blank lines, the first line must be a delimiter: a whole line that is not, or a start that cannot become one, is no multipart body.
          const lead = buf.replace(/^(?:[ \t]*\r?\n)*[ \t\r]*/, '');
          if (/\n/.test(lead) || !'--'.startsWith(lead.slice(0, 2)) || lead.length > 80) {
            notMultipart = true;
            buf = '';
          }
          return;
        }
        boundary = first[1]!;
        buf = buf.slice(first[0].length);
        continue;
      }
      if (afterDelimiter) {
        if (buf.startsWith('--')) {
          // The close delimiter: the body is complete.
          reset();
          return;
        }
        const eol = buf.indexOf('\n');
        if (eol < 0) {
          if (buf.length >= 2 && !/^[ \t\r]*$/.test(buf)) afterDelimiter = false;
          else return;
        } else {
          buf = buf.slice(eol + 1);
          afterDelimiter = false;
        }
        continue;
      }
      const delimiter = `\n--${boundary}`;
      const next = buf.indexOf(delimiter);
      if (next < 0) {
        if (skipping) {
          // Keep only what may start the delimiter.
          buf = buf.slice(Math.max(0, buf.length - delimiter.length));
          return;
        }
        if (!reported) {
          const { body } = partOf(buf);
          const json = /\n\r?\n|^\r?\n/.test(buf) ? parseJson(body.trim()) : null;
          if (json && isRecord(json.value)) {
            report(buf, false);
            reported = true;
          }
        }
        if (lost || buf.length > STREAM_PART_MAX_CHARS) {
          if (!reported) report(buf, true);
          reported = true;
          skipping = true;
          buf = buf.slice(Math.max(0, buf.length - delimiter.length));
        }
        return;
      }
      if (!reported && !skipping) report(buf.slice(0, next).replace(/\r$/, ''), false);
      reported = skipping = false;
      buf = buf.slice(next + delimiter.length);
      afterDelimiter = true;
    }
  };

  return ({ data }) => {
    parts = [];
    if (data.size === 0) return { protocol: P, role: 'data', label: `${P} (empty chunk)`, value: [] };
    if (!notMultipart) feed(payloadText(data), data.truncated);
    if (notMultipart) return { ...plainMessage(P, data), value: [] };
    if (parts.length > 0) return combineMessages(P, parts, 'parts');
    return { protocol: P, role: 'data', label: `${P} part continues (${data.size} B)`, value: [] };
  };
}

function header(hint: ProtocolHint, name: string): string {
  for (const [key, value] of hint.requestHeaders ?? []) if (key.toLowerCase() === name) return value;
  return '';
}

function detectGraphqlMultipart(hint: ProtocolHint): number {
  if (hint.transport === 'websocket' || hint.transport === 'eventsource') return 0;
  const contentType = hint.contentType ?? '';
  if (contentType !== '' && contentType !== 'multipart/mixed') return 0;
  let fits = 0;
  for (const s of hint.samples) {
    if (s.data.size === 0) continue;
    if (!decodeMultipart(s.data)) {
      if (s.data.truncated) continue;
      return 0;
    }
    fits++;
  }
  const accept = header(hint, 'accept').toLowerCase();
  // Apollo Client sends multipart/mixed;deferSpec=20220824 and Apollo's subscriptions subscriptionSpec=1.0 (docs above).
  const asked = /multipart\/mixed/.test(accept) && /(deferspec|subscriptionspec)/.test(accept);
  const graphqlPath = /graphql/i.test(hintUrl(hint)?.pathname ?? '');
  if (contentType === 'multipart/mixed') {
    if (fits) return 0.9;
    if (asked || graphqlPath) return 0.75;
    return 0;
  }
  // No response type seen (a cut or imported capture): the body alone.
  if (fits) return asked || graphqlPath ? 0.8 : 0.6;
  return 0;
}

export const graphqlMultipartDecoder: ProtocolDecoder = defineDecoder(
  {
    id: P,
    name: 'GraphQL over multipart/mixed (incremental delivery, multipart subscriptions)',
    timings: GRAPHQL_MULTIPART_TIMINGS,
    detect: detectGraphqlMultipart,
    decode(data) {
      const parts = decodeMultipart(data);
      return parts ? combineMessages(P, parts, 'parts') : plainMessage(P, data);
    },
    decodeSequence: (messages) => messages.map(multipartStream()),
    sequenceDecoder: multipartStream,
  },
  (data) => plainMessage(P, data),
);
