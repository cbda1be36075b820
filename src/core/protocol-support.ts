/**
 * The bridge to the wire-protocol decoders (src/core/protocols): recognise a
 * channel's protocol and label each message with its role. Works with no
 * decoders at all (protocol null, roles null).
 */
import type { ProtocolDecoder, ProtocolHint } from './protocols/types.ts';
import type { ConnRecord } from './model.ts';
import type { Transport } from './events.ts';

/** How many payloads a decoder sees to recognise a channel. */
const SAMPLE_COUNT = 8;

/** The registry the decoders provide: pick the decoder for a channel. */
export type DetectProtocol = (hint: ProtocolHint) => ProtocolDecoder | null;

let detect: DetectProtocol | null = null;

/** Install the decoders' detector (done by src/core/protocols once it exists). */
export function setProtocolDetector(fn: DetectProtocol | null): void {
  detect = fn;
}

/** Recognise the channel's protocol and label its messages in place; returns the decoder or null. */
export function applyProtocol(transport: Transport, records: readonly ConnRecord[]): ProtocolDecoder | null {
  if (detect === null || records.length === 0) return null;
  const first = records[0]!;
  const samples: ProtocolHint['samples'] = [];
  for (const r of records) {
    for (const m of r.messages) {
      if (m.data === null) continue;
      samples.push({ dir: m.dir, data: m.data });
      if (samples.length >= SAMPLE_COUNT) break;
    }
    if (r.body !== null && samples.length < SAMPLE_COUNT) samples.push({ dir: 'in', data: r.body });
    if (samples.length >= SAMPLE_COUNT) break;
  }
  let decoder: ProtocolDecoder | null = null;
  try {
    decoder = detect({
      transport,
      url: first.url,
      requestedProtocols: first.requestedProtocols,
      negotiatedProtocol: records.find((r) => r.negotiatedProtocol !== '')?.negotiatedProtocol ?? '',
      samples,
    });
  } catch {
    decoder = null;
  }
  if (decoder === null) return null;
  for (const r of records) {
    for (const m of r.messages) {
      if (m.data === null) continue;
      try {
        const d = decoder.decode(m.data, m.dir);
        m.role = d.role;
        m.label = d.label;
      } catch {
        m.role = 'data';
      }
    }
  }
  return decoder;
}
