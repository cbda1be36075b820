/**
 * What the schemaless binary decoders (MessagePack, CBOR, protobuf) share:
 * how plausible a parse is, how it is labelled, and the decoder built around
 * a parser.
 */
import type { SchemalessParse } from './byte-reader.ts';
import type { DecodedMessage, ProtocolDecoder } from './types.ts';
import { defineDecoder, isRecord, payloadBytes, plainMessage, quote } from './util.ts';

/** A schemaless binary format: a parser that accepts only bytes that are entirely this format. */
export interface SchemalessFormat {
  id: string;
  name: string;
  parse(bytes: Uint8Array, truncated?: boolean): SchemalessParse | null;
  /** How plausible a successful parse is, 0..1 (scalars and truncated parses are weak evidence). */
  plausibility(parsed: SchemalessParse): number;
  describe(parsed: SchemalessParse): DecodedMessage;
}

/** Plausibility of a self-describing parse (MessagePack, CBOR): structures beat scalars. */
export function selfDescribingPlausibility(parsed: SchemalessParse): number {
  if (parsed.incomplete) return 0.3;
  const v = parsed.value;
  if (Array.isArray(v)) return v.length > 0 ? 0.85 : 0.45;
  if (isRecord(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) return 0.45;
    if ('$bytes' in v || '$tag' in v || '$ext' in v || '$timestamp' in v) return 0.5;
    return 0.85;
  }
  if (typeof v === 'string') return 0.55;
  return 0.35;
}

/** A self-describing format (MessagePack, CBOR): its parser, judged and labelled by the shared rules above and below. */
export function selfDescribingFormat(id: string, name: string, parse: SchemalessFormat['parse']): SchemalessFormat {
  return { id, name, parse, plausibility: selfDescribingPlausibility, describe: (parsed) => describeSchemaless(id, parsed) };
}

/** Label a self-describing value: its shape and first keys. */
export function describeSchemaless(id: string, parsed: SchemalessParse): DecodedMessage {
  if (parsed.incomplete) return { protocol: id, role: 'data', label: `${id} (truncated)`, value: null };
  const v = parsed.value;
  let label: string;
  if (Array.isArray(v)) label = `${id} array[${v.length}]`;
  else if (isRecord(v)) {
    const keys = Object.keys(v);
    const typeField = ['type', 'event', 'op', 'action', 't'].find((k) => typeof v[k] === 'string');
    label = typeField
      ? `${id} ${typeField}=${quote(v[typeField] as string)}`
      : `${id} map {${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}}`;
  } else if (typeof v === 'string') label = `${id} ${quote(v)}`;
  else label = `${id} ${JSON.stringify(v)}`;
  return { protocol: id, role: 'data', label, value: v };
}

/** A decoder around a schemaless format: recognises channels whose binary samples all parse. */
export function schemalessDecoder(format: SchemalessFormat): ProtocolDecoder {
  return defineDecoder(
    {
      id: format.id,
      name: format.name,
      timings: null,
      detect(hint) {
        let total = 0;
        let n = 0;
        for (const s of hint.samples) {
          if (s.data.size === 0) continue;
          if (s.data.encoding !== 'binary') return 0;
          const parsed = format.parse(payloadBytes(s.data), s.data.truncated);
          if (!parsed) return 0;
          total += format.plausibility(parsed);
          n++;
        }
        // Schemaless formats are a last resort: a named protocol should win.
        return n === 0 ? 0 : Math.min(0.6, total / n);
      },
      decode(data) {
        const parsed = format.parse(payloadBytes(data), data.truncated);
        return parsed ? format.describe(parsed) : plainMessage(format.id, data);
      },
    },
    (data) => plainMessage(format.id, data),
  );
}
