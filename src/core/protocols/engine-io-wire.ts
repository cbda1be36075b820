/**
 * The engine.io and socket.io wire formats, shared by the engine.io and
 * socket.io decoders (they are one family: socket.io packets ride in
 * engine.io "message" packets).
 *
 * engine.io protocol 4 (engine.io-parser 5.2.3, build/cjs/index.js): packet =
 * one type digit (0 open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade,
 * 6 noop) + data; polling payloads join packets with the record separator
 * \x1e (SEPARATOR = String.fromCharCode(30)); binary in polling is "b" + base64;
 * over WebSocket a binary frame is a message packet as it is.
 * engine.io protocol 3 (engine.io-parser 2.x, used by engine.io 3.x /
 * socket.io 2.x): polling payloads are `<length>:<packet>` concatenated, binary
 * in text payloads is "b4" + base64, and a binary WebSocket frame starts with
 * the packet type byte.
 *
 * socket.io protocol 5 (socket.io-parser 4.2.7, build/cjs/index.js
 * decodeString): `<type>[<attachments>-][/<nsp>,][<ack id>][<JSON>]`, types
 * 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR, 5 BINARY_EVENT,
 * 6 BINARY_ACK. Protocol 4 (socket.io-parser 3.4.5, socket.io 2.x) names
 * type 4 ERROR and the server sends CONNECT for "/" unasked.
 */
import type { Direction, Payload } from '../events.ts';
import type { DecodedMessage, MessageRole } from './types.ts';
import { base64ToBytes, combineMessages, hex, isRecord, parseJson, payloadBytes, quote, strictUtf8Text } from './util.ts';

export type EioVersion = 3 | 4;

export const ENGINE_PACKET_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'] as const;
export type EnginePacketType = (typeof ENGINE_PACKET_TYPES)[number];

/** One engine.io packet. */
export interface EnginePacket {
  type: EnginePacketType;
  /** Text data, or bytes for a binary message. */
  data: string | Uint8Array;
}

const RECORD_SEPARATOR = '\x1e';

/** One engine.io packet encoded as a string; null when malformed. */
export function parseEnginePacket(text: string, version: EioVersion): EnginePacket | null {
  if (text.length === 0) return null;
  if (text[0] === 'b') {
    // v4: "b" + base64; v3: "b" + type digit + base64.
    const body = version === 3 ? text.slice(2) : text.slice(1);
    if (version === 3 && text[1] !== '4') return null;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return null;
    return { type: 'message', data: base64ToBytes(body) };
  }
  const code = text.charCodeAt(0) - 48;
  const type = ENGINE_PACKET_TYPES[code];
  if (code < 0 || !type) return null;
  return { type, data: text.slice(1) };
}

/** Split a protocol-3 `<length>:<packet>` payload; null when the lengths do not add up exactly. */
function splitLengthPrefixed(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon <= i || colon - i > 10) return null;
    const digits = text.slice(i, colon);
    if (!/^\d+$/.test(digits)) return null;
    const length = Number(digits);
    const end = colon + 1 + length;
    if (end > text.length || length === 0) return null;
    out.push(text.slice(colon + 1, end));
    i = end;
  }
  return out.length ? out : null;
}

/**
 * The packets of one frame: a WebSocket frame (one packet) or a polling
 * payload (several). Null when the frame is not engine.io.
 */
export function parseEngineFrame(data: Payload, version: EioVersion): EnginePacket[] | null {
  if (data.encoding === 'binary') {
    const bytes = payloadBytes(data);
    if (version === 4) return [{ type: 'message', data: bytes }];
    // Protocol 3 binary frames start with the packet type (4 = message).
    const type = ENGINE_PACKET_TYPES[bytes[0] ?? 99];
    return type ? [{ type, data: bytes.subarray(1) }] : null;
  }
  const text = data.data;
  const pieces =
    version === 3 ? (splitLengthPrefixed(text) ?? [text]) : text.includes(RECORD_SEPARATOR) ? text.split(RECORD_SEPARATOR) : [text];
  const packets: EnginePacket[] = [];
  for (const piece of pieces) {
    const packet = parseEnginePacket(piece, version);
    if (!packet) return null;
    packets.push(packet);
  }
  return packets;
}

/** Socket.io packet type names by protocol (5: socket.io v3/v4, 4: socket.io v2). */
const SOCKET_IO_TYPES: Record<4 | 5, readonly string[]> = {
  5: ['CONNECT', 'DISCONNECT', 'EVENT', 'ACK', 'CONNECT_ERROR', 'BINARY_EVENT', 'BINARY_ACK'],
  4: ['CONNECT', 'DISCONNECT', 'EVENT', 'ACK', 'ERROR', 'BINARY_EVENT', 'BINARY_ACK'],
};

/** A decoded socket.io packet. */
export interface SocketIoPacket {
  type: string;
  nsp: string;
  id: number | null;
  attachments: number | null;
  data: unknown;
}

/** Parse a socket.io packet string (after the engine.io message type); null when malformed. */
export function parseSocketIoPacket(text: string, protocol: 4 | 5): SocketIoPacket | null {
  const code = text.charCodeAt(0) - 48;
  const type = SOCKET_IO_TYPES[protocol][code];
  if (code < 0 || type === undefined) return null;
  let i = 1;
  let attachments: number | null = null;
  if (type === 'BINARY_EVENT' || type === 'BINARY_ACK') {
    const dash = text.indexOf('-', i);
    if (dash < 0) return null;
    const digits = text.slice(i, dash);
    if (!/^\d+$/.test(digits)) return null;
    attachments = Number(digits);
    i = dash + 1;
  }
  let nsp = '/';
  if (text[i] === '/') {
    const comma = text.indexOf(',', i);
    const end = comma < 0 ? text.length : comma;
    nsp = text.slice(i, end);
    i = comma < 0 ? text.length : comma + 1;
  }
  let id: number | null = null;
  const idMatch = /^\d+/.exec(text.slice(i));
  if (idMatch) {
    id = Number(idMatch[0]);
    i += idMatch[0].length;
  }
  let data: unknown = undefined;
  if (i < text.length) {
    const parsed = parseJson(text.slice(i));
    if (!parsed) return null;
    data = parsed.value;
  }
  // socket.io-parser isPayloadValid: the payload shape each type allows.
  switch (type) {
    case 'CONNECT':
      if (data !== undefined && !isRecord(data)) return null;
      break;
    case 'DISCONNECT':
      if (data !== undefined) return null;
      break;
    case 'EVENT':
    case 'BINARY_EVENT':
      if (!Array.isArray(data) || (typeof data[0] !== 'string' && typeof data[0] !== 'number')) return null;
      break;
    case 'ACK':
    case 'BINARY_ACK':
      if (!Array.isArray(data)) return null;
      break;
    default:
      break;
  }
  return { type, nsp, id, attachments, data: data ?? null };
}

const SOCKET_IO_ROLES: Record<string, MessageRole> = {
  CONNECT: 'handshake',
  DISCONNECT: 'close',
  EVENT: 'data',
  BINARY_EVENT: 'data',
  ACK: 'ack',
  BINARY_ACK: 'ack',
  CONNECT_ERROR: 'error',
  ERROR: 'error',
};

function describeSocketIo(protocolId: string, packet: SocketIoPacket): DecodedMessage {
  let label = `socket.io ${packet.type}`;
  const value: Record<string, unknown> = { type: packet.type, nsp: packet.nsp };
  if ((packet.type === 'EVENT' || packet.type === 'BINARY_EVENT') && Array.isArray(packet.data)) {
    const [name, ...args] = packet.data;
    label += ` ${typeof name === 'string' ? quote(name) : String(name)}`;
    value.event = name;
    value.args = args;
  } else if ((packet.type === 'CONNECT_ERROR' || packet.type === 'ERROR') && packet.data !== null) {
    const message = typeof packet.data === 'string' ? packet.data : isRecord(packet.data) ? packet.data.message : null;
    if (typeof message === 'string') label += ` ${quote(message)}`;
    value.data = packet.data;
  } else if (packet.data !== null) value.data = packet.data;
  if (packet.id !== null) {
    label += ` id=${packet.id}`;
    value.id = packet.id;
  }
  if (packet.attachments !== null) {
    label += ` (${packet.attachments} attachment${packet.attachments === 1 ? '' : 's'})`;
    value.attachments = packet.attachments;
  }
  if (packet.nsp !== '/') label += ` nsp=${packet.nsp}`;
  return { protocol: protocolId, role: SOCKET_IO_ROLES[packet.type] ?? 'data', label, value };
}

/** Decode one engine.io packet, and the socket.io packet inside it when `socketIo` is set. */
export function describeEnginePacket(
  protocolId: string,
  packet: EnginePacket,
  version: EioVersion,
  socketIo: boolean,
): DecodedMessage {
  const text = typeof packet.data === 'string' ? packet.data : null;
  switch (packet.type) {
    case 'open': {
      const handshake = text ? parseJson(text)?.value ?? text : null;
      const interval = isRecord(handshake) ? handshake.pingInterval : undefined;
      return {
        protocol: protocolId,
        role: 'handshake',
        label: `engine.io open${typeof interval === 'number' ? ` pingInterval=${interval}` : ''}`,
        value: { engine: 'open', handshake },
      };
    }
    case 'ping':
    case 'pong':
      // "2probe"/"3probe" test the WebSocket before the transport upgrade: not a heartbeat.
      if (text === 'probe') {
        return { protocol: protocolId, role: 'control', label: `engine.io ${packet.type} probe`, value: { engine: packet.type, data: 'probe' } };
      }
      return { protocol: protocolId, role: 'heartbeat', label: `engine.io ${packet.type}`, value: { engine: packet.type, data: text || null } };
    case 'close':
      return { protocol: protocolId, role: 'close', label: 'engine.io close', value: { engine: 'close' } };
    case 'upgrade':
    case 'noop':
      return { protocol: protocolId, role: 'control', label: `engine.io ${packet.type}`, value: { engine: packet.type } };
    default:
      break;
  }
  if (typeof packet.data !== 'string') {
    const bytes = packet.data;
    const what = socketIo ? 'socket.io binary attachment' : 'engine.io binary message';
    return { protocol: protocolId, role: 'data', label: `${what} ${bytes.length} B`, value: { hex: hex(bytes, 64), text: strictUtf8Text(bytes) } };
  }
  if (socketIo) {
    const sio = parseSocketIoPacket(packet.data, version === 4 ? 5 : 4);
    if (sio) return describeSocketIo(protocolId, sio);
  }
  const json = parseJson(packet.data);
  return {
    protocol: protocolId,
    role: 'data',
    label: `engine.io message ${quote(packet.data)}`,
    value: { engine: 'message', data: json ? json.value : packet.data },
  };
}

/** The body "ok" that the engine.io server answers each polling POST with (engine.io 6.6.12 build/transports/polling.js onDataRequest). */
export function isPostAcknowledgement(data: Payload, dir: Direction): boolean {
  return dir === 'in' && data.encoding === 'text' && data.data === 'ok';
}

/** Decode a frame (WebSocket message or polling payload) of the engine.io family; null when it is not one. */
export function decodeEngineFrame(
  protocolId: string,
  data: Payload,
  dir: Direction,
  version: EioVersion,
  socketIo: boolean,
): DecodedMessage | null {
  if (isPostAcknowledgement(data, dir)) {
    return { protocol: protocolId, role: 'ack', label: 'engine.io polling POST ok', value: { engine: 'ok' } };
  }
  const packets = parseEngineFrame(data, version);
  if (!packets) return null;
  const parts = packets.map((p) => describeEnginePacket(protocolId, p, version, socketIo));
  return combineMessages(protocolId, parts, 'payload');
}
