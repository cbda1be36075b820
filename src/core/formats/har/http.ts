/**
 * fetch, XHR and EventSource entries: a request, its response and end (or
 * error), and the SSE events of an event stream, from `_eventSourceMessages`
 * (exact times) or parsed from the response text (times spread evenly, as a
 * plain HAR has none per event).
 */
import { bodyHashOf } from '../body-hash.ts';
import type { Payload } from '../../events.ts';
import { base64ToBytes, utf8Bytes } from '../../protocols/util.ts';
import { createSseParser, type ParsedSseEvent } from '../../sse-parser.ts';
import { exactSeq, exactTime, leaveOut, type Draft, type EntryFacts } from './entry.ts';
import type { HarSource } from './source.ts';
import { forEachItem, harHeaders, isObj, num, objOf, seqPair, str, textPayloadOf, type Json, type SeqPair } from './fields.ts';

/** Resource types that are never real-time traffic (Chrome's `_resourceType` values). */
const STATIC_TYPES = new Set(['document', 'stylesheet', 'script', 'image', 'font', 'media', 'manifest', 'texttrack', 'wasm', 'signedexchange', 'signed-exchange', 'preflight', 'cspviolationreport', 'csp-violation-report', 'ping', 'prefetch', 'fedcm', 'webtransport']);

/** Media types worth importing from HARs without `_resourceType` (data, not page assets). */
const DATA_MEDIA = /json|xml|event-stream|text\/plain|octet-stream|protobuf|msgpack|cbor|grpc|ndjson/;

function errorReason(message: string): 'abort' | 'network' | 'timeout' {
  if (/ABORTED|cancel/i.test(message)) return 'abort';
  if (/TIMED_OUT|timeout/i.test(message)) return 'timeout';
  return 'network';
}

type SseItem = { kind: 'message'; event: ParsedSseEvent } | { kind: 'comment'; text: string };

function parseSseText(text: string): SseItem[] {
  const out: SseItem[] = [];
  const parser = createSseParser(
    (event) => out.push({ kind: 'message', event }),
    (comment) => out.push({ kind: 'comment', text: comment }),
  );
  parser.push(text);
  parser.end();
  return out;
}

interface SseMessageFacts {
  t: number;
  event: string;
  data: Payload;
  id: string | null;
  lastEventId: string;
  retry: number | null;
  idUnread?: true;
  origSeq?: SeqPair;
  /** Where the HAR holds it, for a message that has to be left out. */
  source: string;
}

/** The SSE events and comments of an event-stream entry. */
function sseOf(facts: EntryFacts, entry: Json, content: Json, responseT: number, endT: number): { messages: SseMessageFacts[]; comments: Array<{ t: number; text: string }> } {
  const messages: SseMessageFacts[] = [];
  const comments: Array<{ t: number; text: string }> = [];
  if (Array.isArray(entry._eventSourceMessages)) {
    const listed = entry._eventSourceMessages as unknown[];
    // Chrome's "Save all as HAR (sanitized)", its default, leaves each event's `data` out: the event is
    // kept as truncated, with the stream's bytes spread evenly over its events as its size.
    const streamBytes = num(content.size) ?? 0;
    const readable = listed.filter(isObj).length;
    const sanitizedSize = readable > 0 ? Math.round(Math.max(0, streamBytes) / readable) : 0;
    forEachItem(listed, '_eventSourceMessages', (what) => leaveOut(facts, what), (m, j) => {
      const data = str(m.data);
      messages.push({
        t: (num(m.time) ?? responseT / 1000) * 1000,
        event: str(m.eventName) || 'message',
        data: data === null ? { size: sanitizedSize, encoding: 'text', data: '', truncated: true } : textPayloadOf(data, num(m._size) ?? undefined, m._truncated === true),
        id: '_id' in m ? str(m._id) : str(m.eventId) || null,
        lastEventId: str(m.lastEventId) ?? str(m.eventId) ?? '',
        retry: num(m.retry),
        ...(m._idUnread === true ? { idUnread: true as const } : {}),
        origSeq: seqPair(m._seq),
        source: `_eventSourceMessages[${j}]`,
      });
    });
    return { messages, comments };
  }
  // Present but not a list: counted, and the events are read from the response text as in a plain HAR.
  if ((entry._eventSourceMessages ?? null) !== null) leaveOut(facts, '_eventSourceMessages is not a list');
  const text = str(content.text);
  if (text === null) return { messages, comments };
  // Plain HAR has no per-event times: spread the events evenly over the response (docs/capture-format.md).
  const parsed = parseSseText(text);
  const span = Math.max(0, endT - responseT);
  parsed.forEach((p, i) => {
    const t = responseT + (parsed.length > 1 ? (span * i) / (parsed.length - 1) : 0);
    if (p.kind === 'comment') comments.push({ text: p.text, t });
    else messages.push({ t, event: p.event.type, data: textPayloadOf(p.event.data), id: p.event.id, lastEventId: p.event.lastEventId, retry: p.event.retry, source: `event ${i} of the response text` });
  });
  return { messages, comments };
}

/** The events of a fetch, XHR or EventSource entry; 'ignored' for page assets and the browser's own requests. */
export function httpDrafts(facts: EntryFacts, entry: Json, source: HarSource): Draft[] | 'ignored' {
  const { extras, ids, url, method, resourceType, mime, status } = facts;
  // An event-stream messages field makes one too (Chrome writes it on EventSource entries only).
  const isSse = resourceType === 'eventsource' || mime === 'text/event-stream' || (entry._eventSourceMessages ?? null) !== null;
  if (!isSse && resourceType !== 'fetch' && resourceType !== 'xhr') {
    if (STATIC_TYPES.has(resourceType)) return 'ignored';
    // Chrome types every request page script makes; 'other' is the browser's own (the favicon...).
    if (source === 'chrome' && resourceType === 'other') return 'ignored';
    // No type (other tools' HARs) or 'other': keep data, leave page assets out.
    if (!DATA_MEDIA.test(mime) && method === 'GET') return 'ignored';
  }
  const t0 = exactTime(facts, 'http.request') ?? exactTime(facts, 'sse.create') ?? facts.started;
  const responseT = exactTime(facts, 'http.response') ?? exactTime(facts, 'sse.open') ?? t0 + facts.ttfb;
  const endT = exactTime(facts, 'http.end') ?? exactTime(facts, 'http.error') ?? t0 + facts.total;
  // Our own export says exactly which lifecycle events happened; a plain HAR says it through the status.
  const responded = extras ? exactTime(facts, 'http.response') !== null || exactTime(facts, 'sse.open') !== null : status !== 0;
  const failed = extras ? exactTime(facts, 'http.error') !== null : status === 0;
  const content = objOf(facts.response.content);
  const sse = isSse ? sseOf(facts, entry, content, responseT, endT) : { messages: [], comments: [] };
  const out: Draft[] = [];
  const sseDrafts = () => {
    for (const m of sse.messages) {
      const { origSeq, source: _source, ...fields } = m;
      out.push({ event: { type: 'sse.message', ...fields, ...ids }, origSeq });
    }
    for (const c of sse.comments) out.push({ event: { type: 'sse.comment', ...c, ...ids } });
  };

  if (resourceType === 'eventsource' || (isSse && extras?.transport === 'eventsource')) {
    out.push({ event: { type: 'sse.create', t: t0, transport: 'eventsource', url, withCredentials: extras?.withCredentials === true, ...ids }, origSeq: exactSeq(facts, 'sse.create') });
    if (responded) out.push({ event: { type: 'sse.open', t: responseT, ...ids }, origSeq: exactSeq(facts, 'sse.open') });
    sseDrafts();
    if (!extras && status === 0) out.push({ event: { type: 'sse.error', t: endT, readyState: 2, ...ids } });
    return out;
  }

  const transport = resourceType === 'xhr' ? 'xhr' : 'fetch';
  const postData = isObj(facts.request.postData) ? facts.request.postData : null;
  const postText = postData ? str(postData.text) : null;
  const harBodySize = num(facts.request.bodySize);
  const bodySize =
    extras && 'bodySize' in extras
      ? (extras.bodySize ?? null)
      : harBodySize !== null && harBodySize >= 0
        ? harBodySize
        : postText !== null
          ? utf8Bytes(postText).length
          : method === 'GET'
            ? 0
            : null;
  out.push({
    event: { type: 'http.request', t: t0, transport, method, url, headers: harHeaders(facts.request.headers), bodySize, ...(typeof extras?.sync === 'boolean' ? { sync: extras.sync } : {}), ...ids },
    origSeq: exactSeq(facts, 'http.request'),
  });
  if (responded) {
    out.push({
      event: { type: 'http.response', t: responseT, status, statusText: str(facts.response.statusText) ?? '', headers: harHeaders(facts.response.headers), url: extras?.finalUrl ?? url, contentType: mime, ...ids },
      origSeq: exactSeq(facts, 'http.response'),
    });
  }
  if (isSse && responded) {
    out.push({ event: { type: 'sse.create', t: exactTime(facts, 'sse.create') ?? responseT, transport, url, withCredentials: extras?.withCredentials === true, ...ids }, origSeq: exactSeq(facts, 'sse.create') });
    out.push({ event: { type: 'sse.open', t: exactTime(facts, 'sse.open') ?? responseT, ...ids }, origSeq: exactSeq(facts, 'sse.open') });
    sseDrafts();
  } else if (isSse) {
    // A stream read through fetch or XHR begins with its response: events of a request that got none contradict the entry.
    for (const m of sse.messages) leaveOut(facts, `${m.source}: the request got no response`);
    sse.comments.forEach((_, k) => leaveOut(facts, `comment ${k} of the response text: the request got no response`));
  }
  if (failed) {
    const message = str(facts.response._error) ?? 'request failed';
    out.push({ event: { type: 'http.error', t: endT, reason: extras?.errorReason ?? errorReason(message), message, ...ids }, origSeq: exactSeq(facts, 'http.error') });
    return out;
  }
  if (extras ? extras.hasEnd !== true : !responded) return out;
  const size = num(content.size);
  const text = str(content.text);
  let body: Payload | null = null;
  let hash: string | null = null;
  if (text !== null && extras?.hasBody !== false) {
    const binary = content.encoding === 'base64';
    const bytes = binary ? base64ToBytes(text) : utf8Bytes(text);
    const truncated = extras?.bodyTruncated === true;
    body = { size: size !== null && size >= 0 ? size : bytes.length, encoding: binary ? 'binary' : 'text', data: text, truncated };
    hash = truncated ? null : bodyHashOf(bytes);
  }
  if (extras && 'bodyHash' in extras) hash = extras.bodyHash ?? null;
  out.push({ event: { type: 'http.end', t: endT, size: size !== null && size >= 0 ? size : (body?.size ?? 0), bodyHash: hash, body, ...ids }, origSeq: exactSeq(facts, 'http.end') });
  return out;
}
