/**
 * MQTT 3.1, 3.1.1 and 5.0 over WebSocket (binary frames; subprotocols `mqtt`,
 * `mqttv3.1`). Control packets per the OASIS MQTT 3.1.1 specification §2-3
 * and mqtt-packet 9.0.2 (parser.js): fixed header (type << 4 | flags, then the
 * remaining length as a 1-4 byte varint), variable header, payload. One
 * WebSocket message may carry several packets.
 */
import { ByteReader, EndOfInput, InvalidInput } from './byte-reader.ts';
import type { Direction, Payload } from '../events.ts';
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { combineMessages, defineDecoder, flattenDecoded, hex, isRecord, parseJson, payloadBytes, plainMessage, strictUtf8Text, subprotocolScore } from './util.ts';

export const MQTT_TIMINGS: ProtocolTimings = {
  heartbeatMs: 60_000,
  heartbeatDirection: 'client',
  idleOnly: true,
  timeoutMs: 90_000,
  notes:
    'The client sends PINGREQ when it has sent no packet for keepalive seconds (the CONNECT packet carries the value); the broker disconnects after 1.5 × keepalive without a packet (MQTT 3.1.1 §3.1.2.10).',
  source: 'mqtt 5.16.0 build/lib/client.js (keepalive: 60); MQTT 3.1.1 §3.1.2.10 Keep Alive',
};

const NAMES = ['', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];

const ROLES: Record<string, MessageRole> = {
  CONNECT: 'handshake',
  CONNACK: 'handshake',
  PUBLISH: 'data',
  PUBACK: 'ack',
  PUBREC: 'ack',
  PUBREL: 'ack',
  PUBCOMP: 'ack',
  SUBSCRIBE: 'control',
  SUBACK: 'ack',
  UNSUBSCRIBE: 'control',
  UNSUBACK: 'ack',
  PINGREQ: 'heartbeat',
  PINGRESP: 'heartbeat',
  DISCONNECT: 'close',
  AUTH: 'handshake',
};

function str(r: ByteReader): string {
  return r.utf8(r.u16());
}

function remainingLength(r: ByteReader): number {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const b = r.u8();
    value += (b & 0x7f) * 128 ** i;
    if ((b & 0x80) === 0) return value;
  }
  throw new InvalidInput('remaining length over 4 bytes');
}

/** MQTT 5 properties: skipped as a block (their length prefixes them). */
function skipProperties(r: ByteReader): void {
  r.take(remainingLength(r));
}

function payloadValue(bytes: Uint8Array): unknown {
  const text = strictUtf8Text(bytes);
  if (text === null) return { hex: hex(bytes, 64), length: bytes.length };
  const json = parseJson(text);
  return json ? json.value : text;
}

interface MqttPacket {
  name: string;
  label: string;
  role: MessageRole;
  value: Record<string, unknown>;
}

function readPacket(r: ByteReader): MqttPacket {
  const first = r.u8();
  const type = first >> 4;
  const flags = first & 0x0f;
  const name = NAMES[type];
  if (!name) throw new InvalidInput('packet type 0');
  // §2.2.2: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry flags 0010; all others but PUBLISH carry 0000.
  if ((type === 6 || type === 8 || type === 10) !== (flags === 2) && type !== 3) throw new InvalidInput('flags');
  const length = remainingLength(r);
  const body = new ByteReader(r.take(length));
  const value: Record<string, unknown> = { type: name };
  let label = `mqtt ${name}`;
  let role = ROLES[name]!;
  switch (name) {
    case 'CONNECT': {
      const protocolName = str(body);
      if (protocolName !== 'MQTT' && protocolName !== 'MQIsdp') throw new InvalidInput('protocol name');
      const level = body.u8();
      const connectFlags = body.u8();
      const keepalive = body.u16();
      if (level === 5) skipProperties(body);
      const clientId = str(body);
      // §3.1.3: the will (MQTT 5: its properties first), then user name and password; read past, never shown.
      if (connectFlags & 0x04) {
        if (level === 5) skipProperties(body);
        str(body);
        body.take(body.u16());
      }
      if (connectFlags & 0x80) body.take(body.u16());
      if (connectFlags & 0x40) body.take(body.u16());
      Object.assign(value, { protocolName, level, keepalive, clientId, cleanSession: (connectFlags & 2) !== 0, hasUsername: (connectFlags & 0x80) !== 0 });
      label += ` v${level === 5 ? '5' : level === 4 ? '3.1.1' : '3.1'} keepalive=${keepalive}s${clientId ? ` client=${clientId}` : ''}`;
      break;
    }
    case 'CONNACK': {
      const sessionPresent = (body.u8() & 1) === 1;
      const code = body.u8();
      Object.assign(value, { sessionPresent, returnCode: code });
      label += ` rc=${code}`;
      if (code !== 0) role = 'error';
      break;
    }
    case 'PUBLISH': {
      const qos = (flags >> 1) & 3;
      if (qos === 3) throw new InvalidInput('qos 3');
      const topic = str(body);
      const packetId = qos > 0 ? body.u16() : null;
      const payload = body.take(body.remaining);
      Object.assign(value, { topic, qos, retain: (flags & 1) === 1, dup: (flags & 8) === 8, packetId, payload: payloadValue(payload) });
      label += ` ${topic} qos=${qos}${packetId !== null ? ` id=${packetId}` : ''} (${payload.length} B)`;
      break;
    }
    case 'PUBACK':
    case 'PUBREC':
    case 'PUBREL':
    case 'PUBCOMP':
    case 'UNSUBACK':
    case 'SUBACK': {
      const packetId = body.u16();
      value.packetId = packetId;
      label += ` id=${packetId}`;
      if (name === 'SUBACK') value.returnCodes = Array.from(body.take(body.remaining));
      else body.take(body.remaining);
      break;
    }
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE': {
      const packetId = body.u16();
      const start = body.pos;
      const topics: string[] = [];
      const readTopics = () => {
        topics.length = 0;
        while (body.remaining > 0) {
          topics.push(str(body));
          if (name === 'SUBSCRIBE') body.u8();
        }
      };
      try {
        readTopics();
      } catch {
        // MQTT 5 puts properties before the topic list.
        body.pos = start;
        skipProperties(body);
        readTopics();
      }
      Object.assign(value, { packetId, topics });
      label += ` ${topics.join(', ')} id=${packetId}`;
      break;
    }
    default: {
      // PINGREQ, PINGRESP, DISCONNECT, AUTH: no payload in 3.1.1; 5.0 may add a reason code.
      if (body.remaining > 0) value.reasonCode = body.u8();
      body.take(body.remaining);
      if (typeof value.reasonCode === 'number' && value.reasonCode !== 0) label += ` reason=${value.reasonCode}`;
    }
  }
  if (body.remaining !== 0) throw new InvalidInput('packet longer than its fields');
  return { name, label, role, value };
}

/** The packet type a fixed-header byte announces, or null when no packet starts this way (§2.2). */
function packetTypeOf(first: number | undefined): string | null {
  if (first === undefined) return null;
  const type = first >> 4;
  const flags = first & 0x0f;
  const name = NAMES[type];
  if (!name) return null;
  if (type !== 3 && (type === 6 || type === 8 || type === 10) !== (flags === 2)) return null;
  return name;
}

/** Whole packets at the start of `bytes`, and where an unfinished last packet starts (bytes.length when none). */
function readPackets(bytes: Uint8Array): { packets: MqttPacket[]; rest: number } | null {
  const r = new ByteReader(bytes);
  const packets: MqttPacket[] = [];
  let start = 0;
  try {
    while (r.remaining > 0) {
      start = r.pos;
      packets.push(readPacket(r));
      start = r.pos;
    }
  } catch (e) {
    if (!(e instanceof EndOfInput)) return null;
  }
  return { packets, rest: start };
}

/** All MQTT packets in one frame; null when the bytes are not MQTT. */
export function parseMqttPackets(bytes: Uint8Array, truncated = false): MqttPacket[] | null {
  const read = readPackets(bytes);
  if (!read || read.packets.length === 0) return null;
  if (read.rest < bytes.length && !truncated) return null;
  return read.packets;
}

function describePacket(p: MqttPacket): DecodedMessage {
  return { protocol: 'mqtt', role: p.role, label: p.label, value: p.value };
}

/**
 * Part of a packet that spans WebSocket messages (allowed: MQTT 3.1.1 §6, and
 * what mqtt.js over Node streams and aedes behind `ws` streams send).
 */
function describePart(type: string | null, size: number, packetStart: boolean): DecodedMessage {
  if (!type) return { protocol: 'mqtt', role: 'data', label: `mqtt fragment ${size} B`, value: { fragment: true, size } };
  return {
    protocol: 'mqtt',
    role: ROLES[type]!,
    label: `mqtt ${type} (${packetStart ? 'start' : 'part'}, ${size} B)`,
    value: { type, fragment: true, size },
  };
}

/** One frame on its own: whole packets, possibly followed by the start of one that continues later (or was cut by the capture cap). */
function decodeFrame(bytes: Uint8Array): DecodedMessage | null {
  const read = readPackets(bytes);
  if (!read) return null;
  const parts = read.packets.map(describePacket);
  if (read.rest < bytes.length) {
    const type = packetTypeOf(bytes[read.rest]);
    if (!type) return null;
    parts.push(describePart(type, bytes.length - read.rest, true));
  }
  return parts.length ? combineMessages('mqtt', parts, 'packets') : null;
}

/** One connection's messages, decoded as they come: the unfinished packet of each direction is kept. */
function sequenceDecoder(): (message: { dir: Direction; data: Payload }) => DecodedMessage {
  const pending: Record<Direction, Uint8Array> = { in: new Uint8Array(0), out: new Uint8Array(0) };
  return ({ dir, data }) => {
    if (data.encoding !== 'binary') return plainMessage('mqtt', data);
    const bytes = payloadBytes(data);
    const before = pending[dir];
    const buf = new Uint8Array(before.length + bytes.length);
    buf.set(before);
    buf.set(bytes, before.length);
    const read = readPackets(buf);
    if (!read) {
      pending[dir] = new Uint8Array(0);
      return decodeFrame(bytes) ?? describePart(null, bytes.length, false);
    }
    // A truncated capture loses the packet's end: start afresh after it.
    pending[dir] = data.truncated ? new Uint8Array(0) : buf.slice(read.rest);
    const parts = read.packets.map(describePacket);
    if (read.rest < buf.length && (parts.length > 0 || before.length === 0)) {
      parts.push(describePart(packetTypeOf(buf[read.rest]), buf.length - Math.max(read.rest, before.length), read.rest >= before.length));
    }
    if (parts.length === 0) return describePart(packetTypeOf(buf[0]), bytes.length, false);
    return combineMessages('mqtt', parts, 'packets');
  };
}

/** True when a client stream starts like an MQTT CONNECT (protocol name MQTT or MQIsdp), even if unfinished. */
function startsLikeConnect(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x10) return false;
  let i = 1;
  while (i < 5 && i < bytes.length && bytes[i]! & 0x80) i++;
  const name = new TextDecoder().decode(bytes.subarray(i + 3, i + 3 + 6));
  return name.startsWith('MQTT') || name.startsWith('MQIsdp');
}

export const mqttDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'mqtt',
    name: 'MQTT over WebSocket',
    timings: MQTT_TIMINGS,
    detect(hint) {
      const sub = subprotocolScore(hint, ['mqtt', 'mqttv3.1']);
      if (sub) return sub;
      const binary = hint.samples.filter((s) => s.data.size > 0);
      if (binary.length === 0 || binary.some((s) => s.data.encoding !== 'binary')) return 0;
      const decoded = binary.map(sequenceDecoder());
      if (decoded.some((d) => d.label.startsWith('mqtt fragment') || d.label.startsWith('mqtt binary'))) return 0;
      const out = binary.filter((s) => s.dir === 'out').map((s) => payloadBytes(s.data));
      const outStream = new Uint8Array(out.reduce((n, b) => n + b.length, 0));
      out.reduce((o, b) => (outStream.set(b, o), o + b.length), 0);
      return startsLikeConnect(outStream) || decoded.some((d) => /^mqtt (CONNECT|CONNACK) /.test(d.label)) ? 0.85 : 0.5;
    },
    decode(data) {
      const decoded = data.encoding === 'binary' ? decodeFrame(payloadBytes(data)) : null;
      return decoded ?? plainMessage('mqtt', data);
    },
    sequenceDecoder,
    negotiatedTimings(messages) {
      // The CONNECT packet carries the keepalive the client pings by (0 disables it, §3.1.2.10).
      for (const d of messages.filter((m) => m.dir === 'out').map(sequenceDecoder())) {
        for (const part of flattenDecoded(d)) {
          const v = part.value;
          if (!isRecord(v) || v.type !== 'CONNECT' || typeof v.keepalive !== 'number') continue;
          if (v.keepalive === 0) return { ...MQTT_TIMINGS, heartbeatMs: undefined, timeoutMs: undefined, notes: 'CONNECT keepalive 0: keep-alive disabled, no PINGREQ expected.' };
          return { ...MQTT_TIMINGS, heartbeatMs: v.keepalive * 1000, timeoutMs: v.keepalive * 1500, notes: `CONNECT keepalive ${v.keepalive} s. ${MQTT_TIMINGS.notes}` };
        }
      }
      return null;
    },
  },
  (data) => plainMessage('mqtt', data),
);
