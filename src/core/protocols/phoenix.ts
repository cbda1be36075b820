/**
 * Phoenix channels (phoenix 1.8.16, assets/js/phoenix/serializer.js and
 * socket.js). Serializer v2 (vsn=2.0.0, the default): `[join_ref, ref, topic,
 * event, payload]`; v1: `{topic, event, payload, ref, join_ref}`; binary
 * frames: kind byte (0 push, 1 reply, 2 broadcast), field sizes, fields,
 * payload. Heartbeats are `heartbeat` pushes on topic "phoenix", answered by a
 * `phx_reply` on the same topic.
 */
import type { Direction } from '../events.ts';
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { defineDecoder, hex, hintUrl, isRecord, parseJson, payloadBytes, plainMessage, quote, sampleScore } from './util.ts';

export const PHOENIX_TIMINGS: ProtocolTimings = {
  // phoenix 1.8.16 assets/js/phoenix/socket.js constructor: this.heartbeatIntervalMs = opts.heartbeatIntervalMs || 30000
  heartbeatMs: 30_000,
  // socket.js sendHeartbeat: the client pushes {topic: "phoenix", event: "heartbeat"}; the server only replies.
  heartbeatDirection: 'client',
  // socket.js sendHeartbeat: heartbeatTimeoutTimer = setTimeout(heartbeatTimeout, this.heartbeatIntervalMs), which closes the socket.
  timeoutMs: 30_000,
  notes:
    'The client sends a heartbeat heartbeatIntervalMs after the previous heartbeat reply (so the period is the interval plus the round trip) and reconnects when no reply arrives within heartbeatIntervalMs.',
  source: 'phoenix 1.8.16 assets/js/phoenix/socket.js (heartbeatIntervalMs || 30000, sendHeartbeat, onConnMessage)',
};

interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

const ref = (v: unknown): v is string | null | number => v === null || v === undefined || typeof v === 'string' || typeof v === 'number';
const refText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function fromJson(text: string): PhoenixMessage | null {
  const json = parseJson(text);
  if (!json) return null;
  const v = json.value;
  if (Array.isArray(v)) {
    if (v.length !== 5) return null;
    const [joinRef, msgRef, topic, event, payload] = v;
    if (!ref(joinRef) || !ref(msgRef) || typeof topic !== 'string' || typeof event !== 'string') return null;
    return { joinRef: refText(joinRef), ref: refText(msgRef), topic, event, payload };
  }
  if (isRecord(v) && typeof v.topic === 'string' && typeof v.event === 'string' && 'payload' in v && ref(v.ref)) {
    return { joinRef: refText(v.join_ref), ref: refText(v.ref), topic: v.topic, event: v.event, payload: v.payload };
  }
  return null;
}

/** serializer.js binaryEncode/binaryDecode: pushes from the client carry a ref size, pushes from the server do not. */
function fromBinary(bytes: Uint8Array, dir: Direction): PhoenixMessage | null {
  const kind = bytes[0];
  const sizeCount = kind === 0 ? (dir === 'out' ? 4 : 3) : kind === 1 ? 4 : kind === 2 ? 2 : -1;
  if (sizeCount < 0 || bytes.length < 1 + sizeCount) return null;
  const sizes = Array.from(bytes.subarray(1, 1 + sizeCount));
  let offset = 1 + sizeCount;
  const fields: string[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const size of sizes) {
    if (offset + size > bytes.length) return null;
    try {
      fields.push(decoder.decode(bytes.subarray(offset, offset + size)));
    } catch {
      return null;
    }
    offset += size;
  }
  const data = { $binary: hex(bytes.subarray(offset), 64), length: bytes.length - offset };
  if (kind === 0 && sizeCount === 4) return { joinRef: fields[0]!, ref: fields[1]!, topic: fields[2]!, event: fields[3]!, payload: data };
  if (kind === 0) return { joinRef: fields[0]!, ref: null, topic: fields[1]!, event: fields[2]!, payload: data };
  if (kind === 1) {
    return { joinRef: fields[0]!, ref: fields[1]!, topic: fields[2]!, event: 'phx_reply', payload: { status: fields[3], response: data } };
  }
  return { joinRef: null, ref: null, topic: fields[0]!, event: fields[1]!, payload: data };
}

function parse(data: Parameters<ProtocolDecoder['decode']>[0], dir: Direction): PhoenixMessage | null {
  return data.encoding === 'binary' ? fromBinary(payloadBytes(data), dir) : fromJson(data.data);
}

function describe(m: PhoenixMessage): DecodedMessage {
  const status = isRecord(m.payload) && typeof m.payload.status === 'string' ? m.payload.status : null;
  let role: MessageRole;
  let label: string;
  if (m.topic === 'phoenix') {
    role = 'heartbeat';
    label = m.event === 'phx_reply' ? `phoenix heartbeat reply${status ? ` ${status}` : ''}` : `phoenix ${m.event}`;
  } else {
    switch (m.event) {
      case 'phx_join':
        role = 'handshake';
        break;
      case 'phx_reply':
        role = status === 'error' ? 'error' : 'ack';
        break;
      case 'phx_error':
        role = 'error';
        break;
      case 'phx_close':
      case 'phx_leave':
        role = 'close';
        break;
      default:
        role = 'data';
    }
    label = `phoenix ${quote(m.topic)} ${m.event}${status ? ` ${status}` : ''}`;
  }
  if (m.ref !== null) label += ` ref=${m.ref}`;
  return { protocol: 'phoenix', role, label, value: { join_ref: m.joinRef, ref: m.ref, topic: m.topic, event: m.event, payload: m.payload } };
}

export const phoenixDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'phoenix',
    name: 'Phoenix channels',
    timings: PHOENIX_TIMINGS,
    detect(hint) {
      const url = hintUrl(hint);
      // phoenix.js connects to <endPoint>/websocket?vsn=2.0.0 (or /longpoll).
      const urlScore = url && /\/(websocket|longpoll)$/.test(url.pathname) && url.searchParams.has('vsn') ? 0.9 : 0;
      const frames = sampleScore(hint, (data, dir) => {
        const m = parse(data, dir);
        if (!m) return 'no';
        return m.topic === 'phoenix' || m.event.startsWith('phx_') ? 'strong' : 'fits';
      });
      return Math.max(urlScore, frames);
    },
    decode(data, dir) {
      const m = parse(data, dir);
      return m ? describe(m) : plainMessage('phoenix', data);
    },
  },
  (data) => plainMessage('phoenix', data),
);

