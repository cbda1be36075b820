/**
 * The bridge to the wire-protocol decoders (src/core/protocols): recognise a
 * channel's protocol from its URL, subprotocols and first payloads, and label
 * each message with its role (handshake, data, heartbeat, ...).
 */
import { decodeMessage, detectProtocol, getDecoder } from './protocols/index.ts';
import type { ProtocolDecoder, ProtocolHint } from './protocols/types.ts';
import type { ConnRecord } from './model.ts';
import type { Transport } from './events.ts';

/** How many payloads a decoder sees to recognise a channel. */
const SAMPLE_COUNT = 8;

/** Recognise the channel's protocol and label its messages in place; returns the decoder or null. */
export function applyProtocol(transport: Transport, records: readonly ConnRecord[]): ProtocolDecoder | null {
  if (records.length === 0) return null;
  const first = records[0]!;
  const samples: ProtocolHint['samples'] = [];
  for (const r of records) {
    for (const m of r.messages) {
      if (m.data === null) continue;
      samples.push({ dir: m.dir, data: m.data });
      if (samples.length >= SAMPLE_COUNT) break;
    }
    if (r.body !== null && r.body.size > 0 && samples.length < SAMPLE_COUNT) samples.push({ dir: 'in', data: r.body });
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
    });
    decoder = found ? getDecoder(found.id) : undefined;
  } catch {
    decoder = undefined;
  }
  if (!decoder) return null;
  for (const r of records) {
    for (const m of r.messages) {
      if (m.data === null) continue;
      try {
        const d = decodeMessage(decoder.id, m.data, m.dir);
        m.role = d.role;
        m.label = d.label;
      } catch {
        m.role = 'data';
      }
    }
  }
  return decoder;
}
