/**
 * The bridge to the wire-protocol decoders (src/core/protocols): recognise a
 * channel's protocol from its URL, subprotocols and first payloads, and label
 * each message with its role (handshake, data, heartbeat, ...).
 */
import { SequenceLabeller } from './sequence-labeller.ts';
import { channelTimings, decodeMessage, detectProtocol, getDecoder } from './protocols/index.ts';
import type { ProtocolDecoder, ProtocolHint, ProtocolTimings } from './protocols/types.ts';
import { flattenDecoded } from './protocols/util.ts';
import type { ConnMessage, ConnRecord } from './model.ts';
import { isHttp, type Direction, type Payload, type Transport } from './events.ts';

/** How many payloads a decoder sees to recognise a channel. */
const SAMPLE_COUNT = 8;

/**
 * Response media types whose body is a stream of frames a sequence decoder reads across chunks:
 * gRPC-web and Connect streams (connect-es 2.3.0 protocol-grpc-web/content-type.js,
 * protocol-connect/content-type.js contentTypeStreamRegExp) and multipart/mixed (GraphQL
 * incremental delivery, multipart subscriptions).
 */
const FRAMED_STREAM = /^(application\/grpc-web(-text)?(\+[\w.-]+)?|application\/connect\+[\w.-]+|multipart\/mixed)$/;

/** True when a response of this media type streams frames that span its chunks (decoded chunk by chunk). */
export function isFramedStream(contentType: string): boolean {
  return FRAMED_STREAM.test(contentType);
}

/** A streamed response whose chunks the channel's sequence decoder reads into frames. */
function streamsFrames(r: ConnRecord): boolean {
  return isHttp(r.transport) && !r.sse && isFramedStream(r.contentType);
}

/** Feed the chunks of `r` not fed yet to its sequence decoder; each frame they complete becomes a message at its chunk's time. */
function decodeChunks(r: ConnRecord, sequences: SequenceLabeller): void {
  for (let i = sequences.fed(r.conn); i < r.chunks.length; i++) {
    const c = r.chunks[i]!;
    const decoded = sequences.next(r.conn, c.dir, c.data);
    if (!decoded) continue;
    for (const f of flattenDecoded(decoded)) {
      const frame: ConnMessage = {
        t: c.t,
        dir: c.dir,
        size: f.size ?? c.size,
        kind: 'chunk',
        data: null,
        // No sample: a frame is judged by its role, not by the repeats of its text.
        sample: '',
        event: null,
        id: null,
        retry: null,
        role: f.role,
        patternKey: undefined,
      };
      (r.frames ??= []).push(frame);
    }
  }
}

/** Which decoder labelled a channel's messages so far (kept across reports of a live capture). */
export interface ProtocolLabels {
  decoderId: string | null;
  /**
   * For decoders that reassemble packets across messages (MQTT, STOMP): per connection,
   * the live sequence decoder and how many of its messages it has decoded.
   */
  sequences?: SequenceLabeller | null;
}

/**
 * Recognise the channel's protocol and label its messages in place; returns
 * the decoder or null. Messages already labelled by the same decoder are not
 * decoded again; if the verdict changes, every message is relabelled.
 */
export function applyProtocol(transport: Transport, records: readonly ConnRecord[], labels: ProtocolLabels = { decoderId: null }): ProtocolDecoder | null {
  if (records.length === 0) return null;
  const first = records[0]!;
  const samples: ProtocolHint['samples'] = [];
  for (const r of records) {
    for (const m of r.messages) {
      if (m.data === null) continue;
      samples.push({ dir: m.dir, data: m.data, ...(m.kind === 'sse' ? { event: m.event } : {}) });
      if (samples.length >= SAMPLE_COUNT) break;
    }
    // An SSE response's body is the raw event stream, already sampled above as its messages (with their event names).
    if (!r.sse && r.body !== null && r.body.size > 0 && samples.length < SAMPLE_COUNT) samples.push({ dir: 'in', data: r.body });
    if (samples.length >= SAMPLE_COUNT) break;
  }
  let decoder: ProtocolDecoder | undefined;
  try {
    const found = detectProtocol({
      transport,
      url: first.url,
      requestedProtocols: first.requestedProtocols,
      negotiatedProtocol: records.find((r) => r.negotiatedProtocol !== '')?.negotiatedProtocol ?? '',
      samples,
      method: first.method,
      requestHeaders: first.requestHeaders,
      status: first.status,
      contentType: first.contentType,
    });
    decoder = found ? getDecoder(found.id) : undefined;
  } catch {
    decoder = undefined;
  }
  const id = decoder?.id ?? null;
  const relabel = id !== labels.decoderId;
  labels.decoderId = id;
  if (relabel) {
    labels.sequences = undefined;
    for (const r of records) r.frames = null;
  }
  if (!decoder) {
    if (relabel) for (const r of records) for (const m of r.messages) m.role = null;
    return null;
  }
  // Packets may span messages: each connection's messages are decoded in order, once,
  // by a decoder that keeps the unfinished packet between reports.
  const sequences = (labels.sequences ??= SequenceLabeller.of(decoder));
  if (sequences) {
    for (const r of records) {
      // A streamed body (gRPC-web, Connect, multipart): its chunks, each frame once (not again from its http.end body).
      if (streamsFrames(r)) {
        decodeChunks(r, sequences);
        continue;
      }
      for (let i = sequences.fed(r.conn); i < r.messages.length; i++) {
        const m = r.messages[i]!;
        const decoded = sequences.next(r.conn, m.dir, m.data);
        if (decoded) m.role = decoded.role;
      }
    }
    return decoder;
  }
  for (const r of records) {
    for (const m of r.messages) {
      if (m.data === null || (m.role !== null && !relabel)) continue;
      try {
        // Only the role is kept: labels are for display, and the panel decodes what it shows.
        m.role = decodeMessage(decoder.id, m.data, m.dir, m.kind === 'sse' ? { event: m.event } : undefined).role;
      } catch {
        m.role = 'data';
      }
    }
  }
  return decoder;
}

/** How many of a channel's first payloads are searched for the timings its handshake announced. */
const TIMING_PAYLOADS = 32;

/**
 * The timings a channel runs with: what its own messages announced when the protocol says it in-band
 * (engine.io's open packet, STOMP heart-beats, MQTT keepalive, Pusher activity_timeout, Centrifugo's
 * connect reply, Bayeux's advice), else the library defaults of `decoder`; null without a decoder.
 * Reads the first payloads (frames, SSE data, non-stream response bodies) in time order.
 */
export function channelProtocolTimings(decoder: ProtocolDecoder | null, records: readonly ConnRecord[]): ProtocolTimings | null {
  if (!decoder) return null;
  const payloads: Array<{ t: number; dir: Direction; data: Payload }> = [];
  for (const r of records) {
    let n = 0;
    for (const m of r.messages) {
      if (m.data === null || m.data.size === 0) continue;
      payloads.push({ t: m.t, dir: m.dir, data: m.data });
      if (++n >= TIMING_PAYLOADS) break;
    }
    if (!r.sse && r.body !== null && r.body.size > 0) payloads.push({ t: r.end ?? r.start, dir: 'in', data: r.body });
  }
  payloads.sort((a, b) => a.t - b.t);
  try {
    return channelTimings(decoder.id, payloads.slice(0, TIMING_PAYLOADS)) ?? decoder.timings;
  } catch {
    return decoder.timings;
  }
}
