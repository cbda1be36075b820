/**
 * Fuzz of every protocol decoder in the registry (src/core/protocols/index.ts),
 * issue 14 "Also expected". Every decoder is wrapped by `defineDecoder`, whose
 * try/catch turns a throw into a plain fallback message: the panel never sees an
 * exception, but a decoder that relies on it mislabels the message silently. So
 * this file takes the safety net away (defineDecoder returns the decoder as it
 * is) and holds the real decoders themselves to their contract ("never throws",
 * src/core/protocols/types.ts): on arbitrary text and bytes, on real frames cut,
 * spliced and given hostile JSON values (test/unit/fuzz-frames.ts), and, for the
 * decoders that keep state across messages (MQTT and STOMP reassembly), on real
 * connections reordered, split, duplicated and turned around. protocol-properties.test.ts
 * checks the wrapped registry on random payloads.
 */
import { encode as msgpackEncode } from '@msgpack/msgpack';
import cbor from 'cbor';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Payload } from '../../src/core/events.ts';
import { channelTimings, decodeMessage, decodeMessages, detectProtocol, PROTOCOL_DECODERS, type DecodedMessage, type MessageRole, type ProtocolHint } from '../../src/core/protocols/index.ts';
import { binaryPayload, flattenDecoded } from '../../src/core/protocols/util.ts';
import { arbitraryPayload, hostileChannel, hostileFrame, type Frame, type SeedChannel } from './fuzz-frames.ts';
import { fuzz } from './fuzz-runs.ts';

vi.mock('../../src/core/protocols/util.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/core/protocols/util.ts')>()),
  defineDecoder: (decoder: unknown) => decoder,
}));

const ROLES: ReadonlySet<MessageRole> = new Set(['handshake', 'data', 'heartbeat', 'ack', 'error', 'close', 'control']);

/** What every decoded message must be: of its decoder, a known role, a string label, a JSON-safe value (checked without `expect` per message: there are millions). */
function expectWellFormed(m: DecodedMessage, protocol: string | null): void {
  let problem: string | null = null;
  if (protocol !== null && m.protocol !== protocol) problem = `protocol ${m.protocol}`;
  else if (!ROLES.has(m.role)) problem = `role ${m.role}`;
  else if (typeof m.label !== 'string') problem = 'label not a string';
  else {
    try {
      JSON.stringify(m.value);
    } catch (error) {
      problem = `value not JSON-safe: ${String(error)}`;
    }
  }
  if (problem !== null) expect.fail(`${protocol ?? 'generic'}: ${problem}`);
}

const hintOf = (c: SeedChannel, samples: Frame[] = c.frames.slice(0, 8)): ProtocolHint => ({
  transport: c.transport,
  url: c.url,
  requestedProtocols: c.requestedProtocols,
  negotiatedProtocol: c.negotiatedProtocol,
  samples,
});

const anyFrame = fc.oneof({ weight: 3, arbitrary: hostileFrame }, { weight: 1, arbitrary: fc.record({ dir: fc.constantFrom('in' as const, 'out' as const), data: arbitraryPayload }) });

describe('protocol decoders without their safety net (node)', () => {
  it('the safety net is really off in this file', () => {
    const mqtt = PROTOCOL_DECODERS.find((d) => d.id === 'mqtt')!;
    // A payload whose data is not a string makes base64 decoding throw: with the net it would come back as a fallback.
    expect(() => mqtt.decode({ size: 1, encoding: 'binary', data: null as unknown as string, truncated: false }, 'in')).toThrow(TypeError);
  });

  it('decode(): every decoder, on real frames cut, spliced and given hostile values, and on arbitrary text and bytes', () => {
    fc.assert(
      fc.property(anyFrame, ({ dir, data }) => {
        for (const decoder of PROTOCOL_DECODERS) expectWellFormed(decoder.decode(data, dir), decoder.id);
        expectWellFormed(decodeMessage(null, data, dir), null);
      }),
      fuzz(600),
    );
  });

  it('detect(): a confidence in [0, 1] from every decoder, on hostile channels and their URLs', () => {
    fc.assert(
      fc.property(hostileChannel, fc.oneof(fc.constant(null), fc.webUrl(), fc.string({ maxLength: 40 })), (c, url) => {
        const hint = hintOf(url === null ? c : { ...c, url });
        for (const decoder of PROTOCOL_DECODERS) {
          const confidence = decoder.detect(hint);
          expect(Number.isFinite(confidence), decoder.id).toBe(true);
          expect(confidence).toBeGreaterThanOrEqual(0);
          expect(confidence).toBeLessThanOrEqual(1);
        }
        detectProtocol(hint);
      }),
      fuzz(250),
    );
  });

  it('decodeSequence() and negotiatedTimings(): every decoder, on real connections reordered, split, duplicated and edited', () => {
    fc.assert(
      fc.property(hostileChannel, (c) => {
        for (const decoder of PROTOCOL_DECODERS) {
          const out = decodeMessages(decoder.id, c.frames);
          expect(out).toHaveLength(c.frames.length);
          for (const m of out) expectWellFormed(m, decoder.id);
          const timings = channelTimings(decoder.id, c.frames);
          expect(() => JSON.stringify(timings)).not.toThrow();
        }
      }),
      fuzz(150),
    );
  });

  it('a live sequence decoder, fed one message at a time, labels as decoding the whole connection does (MQTT, STOMP, gRPC-web, Connect, GraphQL multipart)', () => {
    // decodeMessages is the whole-connection path (a decoder's own decodeSequence where it has one).
    const sequential = PROTOCOL_DECODERS.filter((d) => d.sequenceDecoder);
    expect(sequential.map((d) => d.id).sort()).toEqual(['connect', 'graphql-multipart', 'grpc-web', 'mqtt', 'stomp']);
    fc.assert(
      fc.property(hostileChannel, (c) => {
        for (const decoder of sequential) {
          const live = decoder.sequenceDecoder!();
          const oneByOne = c.frames.map((m) => live(m));
          expect(oneByOne).toEqual(decodeMessages(decoder.id, c.frames));
        }
      }),
      fuzz(300),
    );
  });

  it('every decoder on long connections: a thousand frames of any kind, in any order', () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { minLength: 200, maxLength: 1000 }), (frames) => {
        for (const decoder of PROTOCOL_DECODERS) expect(decodeMessages(decoder.id, frames)).toHaveLength(frames.length);
      }),
      fuzz(3),
    );
  });
});

describe('protocol decoders: what the fuzz found, as regression tests (node)', () => {
  // RI_FUZZ_RUNS=25 RI_FUZZ_SEED=102: graphql-ws labelled {"type":"__proto__"} with Object.prototype as its role.
  const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

  it('a message type, event, command or STOMP command named like an Object.prototype property gets a real role', () => {
    for (const name of PROTOTYPE_NAMES) {
      const frames = [
        JSON.stringify({ type: name }),
        JSON.stringify({ type: name, id: '1', payload: {} }),
        JSON.stringify({ command: name, identifier: '{}' }),
        JSON.stringify({ event: name, data: {} }),
        `${name}\ndestination:/a\n\nbody\0`,
        `${name}\ndestination:/a\n\n`,
      ];
      for (const text of frames) {
        for (const decoder of PROTOCOL_DECODERS) {
          const m = decoder.decode({ size: text.length, encoding: 'text', data: text, truncated: false }, 'in');
          expect(ROLES.has(m.role), `${decoder.id} on ${JSON.stringify(text)}: ${String(m.role)}`).toBe(true);
          for (const part of flattenDecoded(m)) expect(ROLES.has(part.role), `${decoder.id} part`).toBe(true);
        }
        for (const decoder of PROTOCOL_DECODERS.filter((d) => d.sequenceDecoder)) {
          const live = decoder.sequenceDecoder!();
          expect(ROLES.has(live({ dir: 'in', data: { size: text.length, encoding: 'text', data: text, truncated: true } }).role)).toBe(true);
        }
      }
    }
  });

  it('a MessagePack or CBOR map key "__proto__" stays a key of the map, not its prototype', () => {
    const map = JSON.parse('{"__proto__":{"type":"hijacked"},"n":1}') as Record<string, unknown>;
    for (const bytes of [msgpackEncode(map), cbor.encode(map)]) {
      const m = decodeMessage(null, binaryPayload(new Uint8Array(bytes)), 'in');
      expect(JSON.stringify(m.value)).toContain('"__proto__":{"type":"hijacked"}');
      expect(m.label).not.toContain('hijacked');
    }
  });
});

describe('protocol decoders on payloads that break the Payload type (node)', () => {
  // The guard admits only well-typed payloads; this is what a decoder given one anyway would do, for the record.
  const broken: Payload[] = [
    { size: -1, encoding: 'text', data: '', truncated: false },
    { size: Number.NaN, encoding: 'binary', data: '', truncated: true },
    { size: 3, encoding: 'binary', data: '====', truncated: false },
  ];
  it('negative or NaN sizes and empty or padding-only data are read without throwing', () => {
    for (const data of broken) for (const decoder of PROTOCOL_DECODERS) expectWellFormed(decoder.decode(data, 'in'), decoder.id);
  });
});
