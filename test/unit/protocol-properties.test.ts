/**
 * Property tests: no decoder throws, on any text or bytes, truncated or not,
 * and what they return is JSON-safe (the panel and the report serialise it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Payload } from '../../src/core/events.ts';
import { channelTimings, decodeMessage, decodeMessages, detectProtocol, PROTOCOL_DECODERS, type ProtocolHint } from '../../src/core/protocols/index.ts';
import { parseCbor } from '../../src/core/protocols/cbor.ts';
import { parseEngineFrame, parseSocketIoPacket } from '../../src/core/protocols/engine-io-wire.ts';
import { parseMqttPackets } from '../../src/core/protocols/mqtt.ts';
import { parseMsgpack } from '../../src/core/protocols/msgpack.ts';
import { parseProtobuf } from '../../src/core/protocols/protobuf.ts';
import { parseStompFrames } from '../../src/core/protocols/stomp.ts';
import { bytesToBase64 } from '../../src/core/protocols/util.ts';

const textPayload = fc.record({
  size: fc.nat(),
  encoding: fc.constant('text' as const),
  data: fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    // Strings close to real frames reach deeper into the parsers.
    fc.tuple(fc.constantFrom('0', '2', '42', '451-', '43/nsp,1', 'a', 'c', 'o', 'h', 'CONNECT\n', 'MESSAGE\ndestination:', '{"type":', '[null,"1",', '{"event":"pusher:', '{"id":1,"connect":', '{"jsonrpc":"2.0",', '12:'), fc.string({ maxLength: 80 })).map(([a, b]) => a + b),
    fc.json().map((j) => `${j}\x1e`),
  ),
  truncated: fc.boolean(),
});

const binaryPayload = fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.boolean()).map(([bytes, truncated, junk]) => ({
  size: bytes.length,
  encoding: 'binary' as const,
  // Payload data is untrusted too: sometimes not even valid base64.
  data: junk ? `${bytesToBase64(bytes)}%%` : bytesToBase64(bytes),
  truncated,
}));

const payload: fc.Arbitrary<Payload> = fc.oneof(textPayload, binaryPayload);
const dir = fc.constantFrom('in' as const, 'out' as const);

describe('protocol decoders never throw', () => {
  it('decode() of every decoder, and decodeMessage() without a protocol, on arbitrary payloads', () => {
    fc.assert(
      fc.property(payload, dir, (data, d) => {
        for (const decoder of PROTOCOL_DECODERS) {
          const m = decoder.decode(data, d);
          expect(typeof m.label).toBe('string');
          expect(m.protocol).toBe(decoder.id);
          expect(() => JSON.stringify(m.value)).not.toThrow();
        }
        const generic = decodeMessage(null, data, d);
        expect(() => JSON.stringify(generic)).not.toThrow();
      }),
      { numRuns: 400 },
    );
  });

  it('decodeMessages() returns one result per message and channelTimings() a sane value, on arbitrary sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ dir, data: payload }), { maxLength: 12 }), (messages) => {
        for (const decoder of PROTOCOL_DECODERS) {
          const out = decodeMessages(decoder.id, messages);
          expect(out).toHaveLength(messages.length);
          expect(() => JSON.stringify(out)).not.toThrow();
          const timings = channelTimings(decoder.id, messages);
          if (timings?.heartbeatMs !== undefined) expect(Number.isFinite(timings.heartbeatMs)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('detect() on arbitrary hints returns a confidence in [0, 1]', () => {
    const hint: fc.Arbitrary<ProtocolHint> = fc.record({
      transport: fc.constantFrom('fetch' as const, 'xhr' as const, 'eventsource' as const, 'websocket' as const),
      url: fc.oneof(fc.webUrl({ withQueryParameters: true }), fc.string({ maxLength: 60 })),
      requestedProtocols: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
      negotiatedProtocol: fc.string({ maxLength: 20 }),
      samples: fc.array(fc.record({ dir, data: payload }), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(hint, (h) => {
        for (const decoder of PROTOCOL_DECODERS) {
          const c = decoder.detect(h);
          expect(c).toBeGreaterThanOrEqual(0);
          expect(c).toBeLessThanOrEqual(1);
        }
        const best = detectProtocol(h);
        if (best) expect(PROTOCOL_DECODERS.some((d) => d.id === best.id)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('the parsers under the decoders return null on garbage instead of throwing (no safety net needed)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.string({ unit: 'binary', maxLength: 200 }), (bytes, truncated, text) => {
        for (const parse of [parseMsgpack, parseCbor, parseProtobuf, parseMqttPackets]) {
          const r = parse(bytes, truncated);
          if (r !== null) expect(() => JSON.stringify(r)).not.toThrow();
        }
        parseStompFrames(text);
        parseSocketIoPacket(text, 5);
        parseSocketIoPacket(text, 4);
        parseEngineFrame({ size: text.length, encoding: 'text', data: text, truncated }, 3);
        parseEngineFrame({ size: text.length, encoding: 'text', data: text, truncated }, 4);
      }),
      { numRuns: 1000 },
    );
  });

  it('survives deeply nested input without exhausting the stack', () => {
    const nested = new Uint8Array(100_000).fill(0x91); // MessagePack fixarray(1), 100k deep
    const deepJson = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    for (const decoder of PROTOCOL_DECODERS) {
      expect(() => decoder.decode({ size: nested.length, encoding: 'binary', data: bytesToBase64(nested), truncated: false }, 'in')).not.toThrow();
      expect(() => decoder.decode({ size: deepJson.length, encoding: 'text', data: deepJson, truncated: false }, 'in')).not.toThrow();
    }
  });
});
