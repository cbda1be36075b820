/**
 * The bridge to the wire-protocol decoders (src/core/protocols): recognise a
 * channel's protocol from its URL, subprotocols and first payloads, and label
 * each message with its role (handshake, data, heartbeat, ...).
 */
import { SequenceLabeller } from './sequence-labeller.ts';
import { channelTimings, decodeMessage, detectProtocol, getDecoder } from './protocols/index.ts';
import type { ProtocolDecoder, ProtocolHint, ProtocolTimings } from './protocols/types.ts';
import type { ConnRecord } from './model.ts';
import type { Direction, Payload, Transport } from './events.ts';

/** How many payloads a decoder sees to recognise a channel. */
const SAMPLE_COUNT = 8;

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
  if (relabel) labels.sequences = undefined;
  if (!decoder) {
    if (relabel) for (const r of records) for (const m of r.messages) m.role = null;
    return null;
  }
  // Packets may span messages: each connection's messages are decoded in order, once,
  // by a decoder that keeps the unfinished packet between reports.
  const sequences = (labels.sequences ??= SequenceLabeller.of(decoder));
  if (sequences) {
    for (const r of records) {
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
