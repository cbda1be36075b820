/**
 * Hostile protocol traffic for the fuzz tests: real frames (the recorded
 * fixtures in test/fixtures/protocols, and frames built by each library's own
 * encoder or exactly as its source writes them), then cut, spliced, with
 * numbers and fields swapped for hostile ones, split across messages,
 * reordered, duplicated and sent the wrong way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as msgpackEncode } from '@msgpack/msgpack';
import cbor from 'cbor';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import protobuf from 'protobufjs';
import type { Direction, Payload, Transport } from '../../src/core/events.ts';
import { base64ToBytes, binaryPayload, bytesToBase64, textPayload } from '../../src/core/protocols/util.ts';
import type { ProtocolFixture } from '../fixtures/record-protocols.ts';
import { editJsonText, treeEdit } from './fuzz-json.ts';

export interface Frame {
  dir: Direction;
  data: Payload;
}

/** One channel of real traffic: what a decoder sees of a connection. */
export interface SeedChannel {
  protocol: string;
  transport: Transport;
  url: string;
  requestedProtocols: string[];
  negotiatedProtocol: string;
  frames: Frame[];
}

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'protocols');
const RS = '\x1e';
const t = (dir: Direction, text: string): Frame => ({ dir, data: textPayload(text) });
const b = (dir: Direction, bytes: Uint8Array | Buffer): Frame => ({ dir, data: binaryPayload(new Uint8Array(bytes)) });
const ws = (protocol: string, url: string, frames: Frame[], subprotocol = ''): SeedChannel => ({
  protocol,
  transport: 'websocket',
  url,
  requestedProtocols: subprotocol ? [subprotocol] : [],
  negotiatedProtocol: subprotocol,
  frames,
});

/** Recorded from real libraries talking to real servers (test/fixtures/record-protocols.ts). */
function recordedChannels(): SeedChannel[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const fixture = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as ProtocolFixture;
      return fixture.channels.map((c) => ({
        protocol: fixture.protocol,
        transport: c.transport,
        url: c.url,
        requestedProtocols: c.requestedProtocols,
        negotiatedProtocol: c.negotiatedProtocol,
        frames: c.frames.map((fr) => ({ dir: fr.dir, data: fr.data })),
      }));
    });
}

/** mqtt-packet 9 `generate`, MQTT 3.1.1 and 5, as mqtt.js sends them. */
function mqttChannel(protocolVersion: 4 | 5): SeedChannel {
  const gen = (p: object) => mqttPacket.generate(p as mqttPacket.Packet, { protocolVersion });
  const props = protocolVersion === 5 ? { properties: { sessionExpiryInterval: 30, userProperties: { a: 'b' } } } : {};
  return ws(
    'mqtt',
    'wss://broker.example/mqtt',
    [
      b('out', gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, clientId: 'c1', keepalive: 30, username: 'u', password: Buffer.from('p'), ...props })),
      b('in', gen({ cmd: 'connack', sessionPresent: false, ...(protocolVersion === 5 ? { reasonCode: 0 } : { returnCode: 0 }) })),
      b('out', gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1 }] })),
      b('in', gen({ cmd: 'suback', messageId: 1, granted: [1] })),
      b('in', gen({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('{"v":1}'), qos: 1, messageId: 7, retain: false, dup: false })),
      b('out', gen({ cmd: 'puback', messageId: 7 })),
      b('out', gen({ cmd: 'pingreq' })),
      b('in', gen({ cmd: 'pingresp' })),
      b('out', Buffer.concat([gen({ cmd: 'pingreq' }), gen({ cmd: 'publish', topic: 'x', payload: Buffer.alloc(300, 1), qos: 0, retain: false, dup: false })])),
      b('out', gen({ cmd: 'disconnect' })),
    ],
    'mqtt',
  );
}

/** Frames built as each library's source writes them (files cited in test/unit/protocol-decoders.test.ts). */
function builtChannels(): SeedChannel[] {
  const Item = new protobuf.Type('Item').add(new protobuf.Field('sku', 1, 'string')).add(new protobuf.Field('qty', 2, 'int32')).add(new protobuf.Field('price', 3, 'double'));
  new protobuf.Root().define('fuzz').add(Item);
  const item = (sku: string, qty: number) => Item.encode(Item.create({ sku, qty, price: 9.5 })).finish();
  return [
    ws('phoenix', 'wss://app.example/socket/websocket?vsn=2.0.0', [
      t('out', '["3","3","room:lobby","phx_join",{}]'),
      t('in', '["3","3","room:lobby","phx_reply",{"status":"ok","response":{}}]'),
      t('in', '[null,null,"room:lobby","new_msg",{"body":"hi"}]'),
      t('out', '[null,"5","phoenix","heartbeat",{}]'),
      t('in', '[null,"5","phoenix","phx_reply",{"status":"ok","response":{}}]'),
      t('in', '{"topic":"rooms:1","event":"phx_join","payload":{},"ref":"1"}'),
    ]),
    ws(
      'actioncable',
      'wss://app.example/cable',
      [
        t('in', '{"type":"welcome"}'),
        t('out', '{"command":"subscribe","identifier":"{\\"channel\\":\\"ChatChannel\\",\\"room\\":\\"1\\"}"}'),
        t('in', '{"identifier":"{\\"channel\\":\\"ChatChannel\\",\\"room\\":\\"1\\"}","type":"confirm_subscription"}'),
        t('in', '{"type":"ping","message":1732460000}'),
        t('in', '{"identifier":"{\\"channel\\":\\"ChatChannel\\",\\"room\\":\\"1\\"}","message":{"body":"hi"}}'),
        t('in', '{"type":"disconnect","reason":"unauthorized","reconnect":false}'),
      ],
      'actioncable-v1-json',
    ),
    ws('pusher', 'wss://ws-eu.pusher.com/app/key?protocol=7&client=js&version=8.4.0', [
      t('in', '{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"123.456\\",\\"activity_timeout\\":120}"}'),
      t('out', '{"event":"pusher:subscribe","data":{"auth":"","channel":"orders"}}'),
      t('in', '{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"orders"}'),
      t('in', '{"event":"order-created","data":"{\\"id\\":9}","channel":"orders"}'),
      t('out', '{"event":"pusher:ping","data":{}}'),
      t('in', '{"event":"pusher:pong","data":{}}'),
      t('in', '{"event":"pusher:error","data":{"code":4001,"message":"App key not in this cluster"}}'),
    ]),
    ws(
      'centrifugo',
      'wss://rt.example/connection/websocket',
      [
        t('out', '{"id":1,"connect":{"token":"x","name":"js"}}'),
        t('in', '{"id":1,"connect":{"client":"c1","version":"5.4.0","ping":25,"pong":true}}'),
        t('out', '{"id":2,"subscribe":{"channel":"news"}}'),
        t('in', '{}\n{"push":{"channel":"news","pub":{"data":{"title":"x"},"offset":4}}}'),
        t('in', '{}'),
        t('out', '{}'),
        t('in', '{"id":3,"error":{"code":103,"message":"permission denied"}}'),
      ],
      'centrifuge-json',
    ),
    ws('signalr', 'wss://app.example/chathub?id=abc', [
      t('out', `{"protocol":"json","version":1}${RS}`),
      t('in', `{}${RS}`),
      t('out', `{"type":1,"invocationId":"0","target":"Send","arguments":["x"]}${RS}`),
      t('in', `{"type":1,"target":"ReceiveMessage","arguments":["ann","hi"]}${RS}{"type":6}${RS}`),
      t('in', `{"type":3,"invocationId":"0","error":"boom"}${RS}`),
      t('in', `{"type":7,"error":"Server shutting down","allowReconnect":true}${RS}`),
    ]),
    ws(
      'stomp',
      'wss://app.example/stomp',
      [
        t('out', 'CONNECT\naccept-version:1.2,1.1,1.0\nheart-beat:10000,10000\n\n\0'),
        t('in', 'CONNECTED\nversion:1.2\nheart-beat:5000,20000\n\n\0'),
        t('out', 'SUBSCRIBE\nid:sub-0\ndestination:/topic/greetings\n\n\0'),
        t('in', 'MESSAGE\ndestination:/topic/greetings\nsubscription:sub-0\nmessage-id:1\ncontent-length:5\n\nhello\0'),
        t('in', '\n'),
        t('out', '\r\n'),
        t('in', 'MESSAGE\ndestination:/a\\cb\n\nbody\0'),
        t('in', 'ERROR\nmessage:Bad destination\n\n\0'),
      ],
      'v12.stomp',
    ),
    // Meteor DDP as ddp-client and ddp-server write it (test/unit/protocol-ddp.test.ts), raw and inside SockJS.
    ws('ddp', 'wss://app.example/websocket', [
      t('in', '{"server_id":"0"}'),
      t('out', '{"msg":"connect","version":"1","support":["1","pre2","pre1"]}'),
      t('in', '{"msg":"connected","session":"Jf9Zr3cQa2PdsbXyE"}'),
      t('out', '{"msg":"sub","id":"s1","name":"tasks","params":[]}'),
      t('in', '{"msg":"added","collection":"tasks","id":"a1","fields":{"text":"one","at":{"$date":1700000000000}}}'),
      t('in', '{"msg":"ready","subs":["s1"]}'),
      t('out', '{"msg":"method","id":"1","method":"tasks.insert","params":[{"text":"two"}],"randomSeed":"9c1b2f"}'),
      t('in', '{"msg":"result","id":"1","result":"b2"}'),
      t('in', '{"msg":"updated","methods":["1"]}'),
      t('in', '{"msg":"changed","collection":"tasks","id":"a1","fields":{"done":true},"cleared":["due"]}'),
      t('in', '{"msg":"addedBefore","collection":"list","id":"x","fields":{},"before":null}'),
      t('in', '{"msg":"movedBefore","collection":"list","id":"x","before":"y"}'),
      t('in', '{"msg":"removed","collection":"tasks","id":"a1"}'),
      t('in', '{"msg":"ping"}'),
      t('out', '{"msg":"pong"}'),
      t('out', '{"msg":"ping","id":"7"}'),
      t('in', '{"msg":"pong","id":"7"}'),
      t('in', '{"msg":"nosub","id":"s9","error":{"isClientSafe":true,"error":404,"reason":"Subscription \'x\' not found","errorType":"Meteor.Error"}}'),
      t('in', '{"msg":"error","reason":"Bad request","offendingMessage":{"msg":"sub"}}'),
      t('in', '{"msg":"failed","version":"1"}'),
    ]),
    ws('sockjs', 'wss://app.example/sockjs/123/a1b2c3d4/websocket', [
      t('in', 'o'),
      t('out', '["{\\"msg\\":\\"connect\\",\\"version\\":\\"1\\",\\"support\\":[\\"1\\"]}"]'),
      t('in', 'a["{\\"msg\\":\\"connected\\",\\"session\\":\\"x\\"}","{\\"msg\\":\\"ping\\"}"]'),
      t('out', '["{\\"msg\\":\\"pong\\"}"]'),
    ]),
    ws('json-rpc', 'wss://eth.example/ws', [
      t('out', '{"jsonrpc":"2.0","method":"eth_subscribe","params":["newHeads"],"id":1}'),
      t('in', '{"jsonrpc":"2.0","result":"0x1","id":1}'),
      t('in', '{"jsonrpc":"2.0","method":"eth_subscription","params":{}}'),
      t('in', '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":2}'),
      t('in', '[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","result":2,"id":2}]'),
    ]),
    mqttChannel(4),
    mqttChannel(5),
    ws('msgpack', 'wss://app.example/msgpack', [
      b('in', msgpackEncode({ type: 'tick', n: 1, list: [1, 2, 3], big: 2 ** 40, f: 1.5, bin: new Uint8Array([1, 2]) })),
      b('out', msgpackEncode(['sub', { channel: 'a', since: -1 }])),
    ]),
    ws('cbor', 'wss://app.example/cbor', [b('in', cbor.encode({ type: 'tick', n: 1, list: [1, 2, 3], t: new Date(0), neg: -(2 ** 40) })), b('out', cbor.encode(['sub', null, true]))]),
    ws('protobuf', 'wss://app.example/pb', [b('in', item('sku-1', 3)), b('in', Buffer.concat([item('a', 1), item('b', 2)]))]),
  ];
}

/** Every seed channel: recorded ones first, then built ones. */
export const SEED_CHANNELS: readonly SeedChannel[] = [...recordedChannels(), ...builtChannels()];

/** Byte or character edits: cut, delete, insert, repeat, overwrite. */
const splice = fc.record({
  op: fc.constantFrom('cut' as const, 'delete' as const, 'insert' as const, 'repeat' as const, 'set' as const),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 24 }),
  times: fc.integer({ min: 2, max: 200 }),
  bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.constantFrom([0xff], [0x00], [0x7f], [0x80], [0xff, 0xff, 0xff, 0x7f], [0x0a], [0x1e], [0x3a]).map((a) => Uint8Array.from(a))),
});
type Splice = typeof splice extends fc.Arbitrary<infer T> ? T : never;

function spliceBytes(bytes: Uint8Array, edits: readonly Splice[]): Uint8Array {
  let out = bytes;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    const cat = (...parts: Uint8Array[]) => {
      const r = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((o, p) => (r.set(p, o), o + p.length), 0);
      return r;
    };
    if (e.op === 'cut') out = out.subarray(0, at);
    else if (e.op === 'delete') out = cat(out.subarray(0, at), out.subarray(at + e.len));
    else if (e.op === 'insert') out = cat(out.subarray(0, at), e.bytes, out.subarray(at));
    else if (e.op === 'repeat') {
      const piece = out.subarray(at, at + e.len);
      out = cat(out.subarray(0, at), ...Array<Uint8Array>(Math.min(e.times, Math.floor(20_000 / Math.max(1, piece.length)))).fill(piece), out.subarray(at));
    } else out = cat(out.subarray(0, at), e.bytes, out.subarray(at + e.bytes.length));
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What can be done to one frame's payload. */
export const payloadEdit = fc.record({
  json: fc.array(treeEdit, { maxLength: 3 }),
  // Mostly well-formed JSON with hostile values, which reaches deepest; sometimes bytes broken too.
  splices: fc.oneof({ weight: 2, arbitrary: fc.constant([] as Splice[]) }, { weight: 1, arbitrary: fc.array(splice, { minLength: 1, maxLength: 3 }) }),
  /** The size the capture claims: true, none, the largest a byte count can be, or any. */
  size: fc.oneof({ weight: 3, arbitrary: fc.constant('true' as const) }, { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 53 - 1) }, { weight: 1, arbitrary: fc.nat() }),
  truncated: fc.option(fc.boolean(), { freq: 2 }),
  /** A binary payload whose base64 is not even valid. */
  junkBase64: fc.constantFrom(false, false, false, true),
});
export type PayloadEdit = typeof payloadEdit extends fc.Arbitrary<infer T> ? T : never;

/** The payload after the edit; text stays text (spliced as UTF-8, so lone surrogates and broken sequences appear), binary stays binary. */
export function editPayload(p: Payload, e: PayloadEdit): Payload {
  let data: string;
  let trueSize: number;
  if (p.encoding === 'text') {
    const bytes = spliceBytes(encoder.encode(editJsonText(p.data, e.json)), e.splices);
    data = decoder.decode(bytes);
    trueSize = bytes.length;
  } else {
    const raw = base64ToBytes(p.data);
    const asText = decoder.decode(raw);
    const edited = e.json.length > 0 && /^[[{]/.test(asText) ? encoder.encode(editJsonText(asText, e.json)) : raw;
    const bytes = spliceBytes(edited, e.splices);
    data = bytesToBase64(bytes) + (e.junkBase64 ? '%%$' : '');
    trueSize = bytes.length;
  }
  return { size: e.size === 'true' ? trueSize : e.size, encoding: p.encoding, data, truncated: e.truncated ?? p.truncated };
}

/** Payloads of no protocol at all: any text, any bytes. */
export const arbitraryPayload: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({ size: fc.nat(), encoding: fc.constant('text' as const), data: fc.string({ unit: 'binary', maxLength: 200 }), truncated: fc.boolean() }),
  fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean()).map(([bytes, truncated]) => ({ ...binaryPayload(bytes), truncated })),
);

/** One real frame of any channel, edited or not. */
export const hostileFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...SEED_CHANNELS.flatMap((c) => c.frames)), payloadEdit, fc.boolean()).map(([f, e, flip]) => ({ dir: flip ? (f.dir === 'in' ? 'out' : 'in') : f.dir, data: editPayload(f.data, e) })) },
  { weight: 1, arbitrary: fc.record({ dir: fc.constantFrom('in' as const, 'out' as const), data: arbitraryPayload }) },
);

/** What happens to a channel's frames: which stay and in what order, which are edited, split across messages, duplicated or turned around. */
const frameFate = fc.record({
  edit: fc.option(payloadEdit, { freq: 3 }),
  /** Cut points (in bytes): the frame arrives as several messages, as MQTT and STOMP allow. */
  split: fc.oneof({ weight: 4, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }),
  copies: fc.constantFrom(1, 1, 1, 1, 2, 3),
  flip: fc.constantFrom(false, false, false, false, false, true),
});

/** `p` in pieces at `cuts` (bytes; text pieces decoded as UTF-8, so a cut inside a character breaks it, as a capture would). */
function splitPayload(p: Payload, cuts: readonly number[]): Payload[] {
  if (cuts.length === 0) return [p];
  const bytes = p.encoding === 'text' ? encoder.encode(p.data) : base64ToBytes(p.data);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  const pieces: Uint8Array[] = [];
  let prev = 0;
  for (const at of [...points, bytes.length]) {
    pieces.push(bytes.subarray(prev, at));
    prev = at;
  }
  return pieces.map((piece, i) => ({
    size: piece.length,
    encoding: p.encoding,
    data: p.encoding === 'text' ? decoder.decode(piece) : bytesToBase64(piece),
    truncated: i === pieces.length - 1 ? p.truncated : false,
  }));
}

/** A real channel whose frames are kept, dropped, reordered, edited, split, duplicated and turned around. */
export const hostileChannel: fc.Arbitrary<SeedChannel> = fc.constantFrom(...SEED_CHANNELS).chain((c) =>
  fc
    .tuple(
      fc.oneof(fc.constant(c.frames.map((_, i) => i)), fc.subarray(c.frames.map((_, i) => i)), fc.shuffledSubarray(c.frames.map((_, i) => i))),
      fc.array(frameFate, { minLength: c.frames.length, maxLength: c.frames.length }),
    )
    .map(([order, fates]) => ({
      ...c,
      frames: order.flatMap((i) => {
        const f = c.frames[i]!;
        const fate = fates[i]!;
        const data = fate.edit ? editPayload(f.data, fate.edit) : f.data;
        const dir: Direction = fate.flip ? (f.dir === 'in' ? 'out' : 'in') : f.dir;
        const pieces = splitPayload(data, fate.split).map((piece) => ({ dir, data: piece }));
        return Array.from({ length: fate.copies }, () => pieces).flat();
      }),
    })),
);
