/**
 * Decoding when no protocol is known: text as JSON-RPC, JSON or plain text;
 * binary as readable UTF-8 text, else the schemaless format (MessagePack,
 * CBOR, protobuf) whose parse consumes every byte and looks most plausible,
 * else hex.
 */
import type { Payload } from '../events.ts';
import type { SchemalessParse } from './byte-reader.ts';
import { cborFormat } from './cbor.ts';
import { describeJson } from './json.ts';
import { describeJsonRpc } from './json-rpc.ts';
import { msgpackFormat } from './msgpack.ts';
import { protobufFormat } from './protobuf.ts';
import type { SchemalessFormat } from './schemaless.ts';
import type { DecodedMessage } from './types.ts';
import { hex, parseJson, payloadBytes, quote, readableText } from './util.ts';

const BINARY_FORMATS: readonly SchemalessFormat[] = [msgpackFormat, cborFormat, protobufFormat];

/** The schemaless binary format these bytes most plausibly are, or null when none parses. */
export function sniffBinary(
  bytes: Uint8Array,
  truncated = false,
): { format: SchemalessFormat; parsed: SchemalessParse; plausibility: number } | null {
  let best: { format: SchemalessFormat; parsed: SchemalessParse; plausibility: number } | null = null;
  for (const format of BINARY_FORMATS) {
    const parsed = format.parse(bytes, truncated);
    if (!parsed) continue;
    const plausibility = format.plausibility(parsed);
    if (plausibility > 0 && (!best || plausibility > best.plausibility)) best = { format, parsed, plausibility };
  }
  return best;
}

function decodeText(text: string): DecodedMessage {
  const json = parseJson(text);
  if (json) return describeJsonRpc(json.value) ?? describeJson(json.value);
  return { protocol: 'text', role: 'data', label: text.length ? `text ${quote(text)}` : 'text (empty)', value: text };
}

/** Decode a payload of no known protocol; never throws. */
export function decodeGeneric(data: Payload): DecodedMessage {
  try {
    if (data.encoding === 'text') return decodeText(data.data);
    const bytes = payloadBytes(data);
    if (bytes.length === 0) return { protocol: 'binary', role: 'data', label: 'binary (empty)', value: null };
    const text = readableText(bytes);
    if (text !== null) return decodeText(text);
    const sniffed = sniffBinary(bytes, data.truncated);
    if (sniffed) return sniffed.format.describe(sniffed.parsed);
    return { protocol: 'binary', role: 'data', label: `binary ${data.size} B`, value: { hex: hex(bytes, 64) } };
  } catch {
    return { protocol: 'binary', role: 'data', label: `${data.encoding} ${data.size} B`, value: null };
  }
}
