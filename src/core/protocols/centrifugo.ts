/**
 * Centrifugo / centrifuge-js client protocol v2, JSON encoding (centrifuge
 * 5.8.0, build/index.js: commands joined with "\n"). Commands `{id, connect |
 * subscribe | publish | rpc | ...}`, replies `{id, <same key> | error}`,
 * pushes `{push: {channel, pub | join | leave | ...}}`. The server's ping is
 * an empty object `{}` and the client's pong is `{}` too (sent when the
 * connect reply says `pong: true`).
 *
 * Protobuf encoding (subprotocol `centrifuge-protobuf`, centrifuge 5.8.0
 * build/protobuf/index.js ProtobufCodec): each binary frame is a sequence of
 * varint-length-delimited Command (client) or Reply (server) messages with the
 * same fields as the JSON ones; a ping or pong is an empty message (one 0x00
 * byte). Decoded into the JSON shape, then labelled alike.
 */
import type { Direction, Payload } from '../events.ts';
import { ByteReader, bytesValue, InvalidInput } from './byte-reader.ts';
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import {
  combineMessages,
  combineParts,
  defineDecoder,
  flattenDecoded,
  hintUrl,
  isRecord,
  parseJson,
  payloadBytes,
  plainMessage,
  quote,
  readableText,
  sampleScore,
  subprotocolScore,
} from './util.ts';

export const CENTRIFUGO_TIMINGS: ProtocolTimings = {
  // Centrifugo server ping_interval default 25 s, announced as connect reply "ping": 25 (centrifuge 5.8.0 build/index.js: this._serverPing = result.ping * 1000).
  heartbeatMs: 25_000,
  // build/index.js _handleServerPing: the server sends {}, the client answers {} only when the connect reply says pong: true.
  heartbeatDirection: 'server',
  // build/index.js: maxServerPingDelay: 10000; _waitServerPing waits this._serverPing + maxServerPingDelay.
  timeoutMs: 35_000,
  notes:
    'The server sends {} every ping_interval (25 s by default, announced as "ping" seconds in the connect reply) and disconnects a client whose {} pong does not come within pong_timeout (8 s); the client answers when "pong" is true and disconnects ("no ping") after ping + maxServerPingDelay (10000 ms) without a ping.',
  source: 'centrifuge 5.8.0 build/index.js (maxServerPingDelay: 10000, _serverPing = result.ping * 1000); Centrifugo server configtypes PingPong (ping_interval default "25s", pong_timeout default "8s")',
};

const METHODS = ['connect', 'subscribe', 'unsubscribe', 'publish', 'presence', 'presence_stats', 'history', 'ping', 'send', 'rpc', 'refresh', 'sub_refresh'];

const METHOD_ROLES: Record<string, MessageRole> = {
  connect: 'handshake',
  subscribe: 'control',
  unsubscribe: 'control',
  refresh: 'control',
  sub_refresh: 'control',
  ping: 'heartbeat',
};

const PUSH_KINDS = ['pub', 'join', 'leave', 'unsubscribe', 'message', 'subscribe', 'connect', 'disconnect', 'refresh'];

function describeRecord(v: Record<string, unknown>, dir: 'in' | 'out'): DecodedMessage | null {
  const keys = Object.keys(v);
  if (keys.length === 0) {
    return { protocol: 'centrifugo', role: 'heartbeat', label: dir === 'in' ? 'centrifugo ping' : 'centrifugo pong', value: {} };
  }
  if (isRecord(v.push)) {
    const push = v.push;
    const kind = PUSH_KINDS.find((k) => k in push) ?? 'push';
    const channel = typeof push.channel === 'string' ? ` ${quote(push.channel)}` : '';
    const role: MessageRole = kind === 'disconnect' ? 'close' : kind === 'pub' || kind === 'message' ? 'data' : 'control';
    return { protocol: 'centrifugo', role, label: `centrifugo push ${kind}${channel}`, value: v };
  }
  const id = typeof v.id === 'number' ? ` id=${v.id}` : '';
  if (isRecord(v.error)) {
    const message = typeof v.error.message === 'string' ? ` ${quote(v.error.message)}` : '';
    return { protocol: 'centrifugo', role: 'error', label: `centrifugo error ${String(v.error.code)}${message}${id}`, value: v };
  }
  const method = METHODS.find((m) => m in v);
  if (method) {
    const body = v[method];
    const channel = isRecord(body) && typeof body.channel === 'string' ? ` ${quote(body.channel)}` : '';
    // With an id from the server it is the reply to our command.
    const isReply = dir === 'in' && typeof v.id === 'number';
    const role: MessageRole = isReply ? (method === 'connect' ? 'handshake' : 'ack') : (METHOD_ROLES[method] ?? 'data');
    return { protocol: 'centrifugo', role, label: `centrifugo ${method}${isReply ? ' reply' : ''}${channel}${id}`, value: v };
  }
  // Protocol v1 (centrifuge-js 2.x): {id, method: <number>, params} and {id, result}.
  if (typeof v.method === 'number' && METHODS[v.method]) {
    const name = METHODS[v.method]!;
    return { protocol: 'centrifugo', role: METHOD_ROLES[name] ?? 'data', label: `centrifugo ${name}${id}`, value: v };
  }
  if ('result' in v && keys.every((k) => k === 'id' || k === 'result')) {
    return { protocol: 'centrifugo', role: id ? 'ack' : 'data', label: `centrifugo result${id}`, value: v };
  }
  return null;
}

/** A protobuf field type and, for nested messages, its schema. */
type FieldType = 'string' | 'uint' | 'bool' | 'bytes' | Schema;
type Schema = Readonly<Record<number, readonly [string, FieldType]>>;

/*
 * Field numbers from centrifuge 5.8.0 build/protobuf/index.js (the generated
 * Command, Reply, Push, *Request and *Result encoders); only the fields a label
 * or the timings need are named, the rest are skipped.
 */
const CHANNEL_REQUEST: Schema = { 1: ['channel', 'string'] };
const PUBLICATION: Schema = { 4: ['data', 'bytes'], 6: ['offset', 'uint'] };
const COMMAND: Schema = {
  1: ['id', 'uint'],
  4: ['connect', { 1: ['token', 'string'], 2: ['data', 'bytes'], 4: ['name', 'string'], 5: ['version', 'string'] }],
  5: ['subscribe', CHANNEL_REQUEST],
  6: ['unsubscribe', CHANNEL_REQUEST],
  7: ['publish', { 1: ['channel', 'string'], 2: ['data', 'bytes'] }],
  8: ['presence', CHANNEL_REQUEST],
  9: ['presence_stats', CHANNEL_REQUEST],
  10: ['history', CHANNEL_REQUEST],
  11: ['ping', {}],
  12: ['send', { 1: ['data', 'bytes'] }],
  13: ['rpc', { 1: ['data', 'bytes'], 2: ['method', 'string'] }],
  14: ['refresh', {}],
  15: ['sub_refresh', CHANNEL_REQUEST],
};
const REPLY: Schema = {
  1: ['id', 'uint'],
  2: ['error', { 1: ['code', 'uint'], 2: ['message', 'string'], 3: ['temporary', 'bool'] }],
  4: [
    'push',
    {
      2: ['channel', 'string'],
      4: ['pub', PUBLICATION],
      5: ['join', {}],
      6: ['leave', {}],
      7: ['unsubscribe', { 2: ['code', 'uint'], 3: ['reason', 'string'] }],
      8: ['message', { 1: ['data', 'bytes'] }],
      9: ['subscribe', {}],
      10: ['connect', {}],
      11: ['disconnect', { 1: ['code', 'uint'], 2: ['reason', 'string'], 3: ['reconnect', 'bool'] }],
      12: ['refresh', { 1: ['expires', 'bool'], 2: ['ttl', 'uint'] }],
    },
  ],
  5: ['connect', { 1: ['client', 'string'], 2: ['version', 'string'], 3: ['expires', 'bool'], 4: ['ttl', 'uint'], 5: ['data', 'bytes'], 7: ['ping', 'uint'], 8: ['pong', 'bool'] }],
  6: ['subscribe', {}],
  7: ['unsubscribe', {}],
  8: ['publish', {}],
  9: ['presence', {}],
  10: ['presence_stats', {}],
  11: ['history', {}],
  12: ['ping', {}],
  13: ['rpc', { 1: ['data', 'bytes'] }],
  14: ['refresh', {}],
  15: ['sub_refresh', {}],
};

function varint(r: ByteReader): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = r.u8();
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value;
    scale *= 128;
  }
  throw new InvalidInput('varint longer than 10 bytes');
}

/** Payload bytes for display: JSON or text when they read as such (centrifuge data is usually JSON), else hex. */
function bytesShown(bytes: Uint8Array): unknown {
  const text = readableText(bytes);
  if (text === null) return bytesValue(bytes);
  return parseJson(text)?.value ?? text;
}

/**
 * One protobuf message as an object of its named fields. Top-level messages
 * (`strict`) accept only their known fields with the right wire types, so that
 * other binary traffic is not taken for Centrifugo; nested ones skip unknown fields.
 */
function readFields(bytes: Uint8Array, schema: Schema, strict: boolean): Record<string, unknown> {
  const r = new ByteReader(bytes);
  const out: Record<string, unknown> = {};
  while (r.remaining > 0) {
    const tag = varint(r);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    const known = schema[field];
    const scalar = known !== undefined && (known[1] === 'uint' || known[1] === 'bool');
    if (strict && (known === undefined || (scalar ? wire !== 0 : wire !== 2))) throw new InvalidInput('not a centrifugo field');
    if (wire === 0) {
      const v = varint(r);
      if (known && scalar) out[known[0]] = known[1] === 'bool' ? v !== 0 : v;
    } else if (wire === 2) {
      const body = r.take(varint(r));
      if (!known || scalar) continue;
      const type = known[1];
      if (type === 'string') {
        const text = readableText(body);
        if (text === null && strict) throw new InvalidInput('not text');
        out[known[0]] = text ?? bytesValue(body);
      } else if (type === 'bytes') out[known[0]] = bytesShown(body);
      else out[known[0]] = readFields(body, type as Schema, false);
    } else if (wire === 1) r.take(8);
    else if (wire === 5) r.take(4);
    else throw new InvalidInput('wire type');
  }
  return out;
}

/** The delimited Commands (out) or Replies (in) of one binary frame; null when the bytes are not that. */
function parseCentrifugoProtobuf(bytes: Uint8Array, dir: Direction): Array<Record<string, unknown>> | null {
  if (bytes.length === 0) return null;
  const r = new ByteReader(bytes);
  const records: Array<Record<string, unknown>> = [];
  try {
    while (r.remaining > 0) records.push(readFields(r.take(varint(r)), dir === 'out' ? COMMAND : REPLY, true));
  } catch {
    return null;
  }
  return records;
}

function decodeCentrifugo(data: Payload, dir: Direction): DecodedMessage | null {
  // centrifuge-js batches commands too (connect and subscribe go in one frame); the protocol calls what the server sends replies.
  const noun = dir === 'out' ? 'commands' : 'replies';
  if (data.encoding === 'binary') {
    const records = parseCentrifugoProtobuf(payloadBytes(data), dir);
    if (!records) return null;
    const parts: DecodedMessage[] = [];
    for (const v of records) {
      const d = describeRecord(v, dir);
      if (!d) return null;
      parts.push(d);
    }
    return combineMessages('centrifugo', parts, noun);
  }
  const lines = data.data.split('\n').filter((l) => l.trim() !== '');
  return combineParts(
    'centrifugo',
    lines,
    (line) => {
      const json = parseJson(line);
      return json && isRecord(json.value) ? describeRecord(json.value, dir) : null;
    },
    noun,
  );
}

export const centrifugoDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'centrifugo',
    name: 'Centrifugo',
    timings: CENTRIFUGO_TIMINGS,
    detect(hint) {
      // centrifuge-js asks for this subprotocol in protobuf mode (build/protobuf/index.js WebsocketTransport); JSON mode asks for none.
      const sub = subprotocolScore(hint, ['centrifuge-protobuf']);
      const url = hintUrl(hint);
      const urlScore = url && /\/connection\/(websocket|sse|http_stream|uni_websocket|uni_sse|uni_http_stream)$/.test(url.pathname) ? 0.85 : 0;
      const frames = sampleScore(hint, (data, dir) => {
        const d = decodeCentrifugo(data, dir);
        if (!d) return 'no';
        // Binary frames that parse as Commands/Replies are not proof enough on their own: short protobuf often does.
        if (data.encoding === 'binary') return 'fits';
        // An empty object or a bare result proves little; a connect command/reply or a push does.
        return /centrifugo (connect|push|subscribe)/.test(d.label) ? 'strong' : 'fits';
      });
      return Math.max(sub, urlScore, frames);
    },
    decode(data, dir) {
      return decodeCentrifugo(data, dir) ?? plainMessage('centrifugo', data);
    },
    negotiatedTimings(messages) {
      // The connect reply says how often the server pings (s) and whether the client must pong.
      for (const m of messages) {
        if (m.dir !== 'in') continue;
        const decoded = decodeCentrifugo(m.data, 'in');
        for (const d of decoded ? flattenDecoded(decoded) : []) {
          const connect = isRecord(d.value) && typeof d.value.id === 'number' && isRecord(d.value.connect) ? d.value.connect : null;
          if (!connect || typeof connect.ping !== 'number') continue;
          if (connect.ping <= 0) return { ...CENTRIFUGO_TIMINGS, heartbeatMs: undefined, notes: 'The connect reply disables server pings.' };
          return {
            ...CENTRIFUGO_TIMINGS,
            heartbeatMs: connect.ping * 1000,
            timeoutMs: connect.ping * 1000 + 10_000,
            notes: `Connect reply: ping ${connect.ping} s, pong ${connect.pong === true}. ${CENTRIFUGO_TIMINGS.notes}`,
          };
        }
      }
      return null;
    },
  },
  (data) => plainMessage('centrifugo', data),
);
