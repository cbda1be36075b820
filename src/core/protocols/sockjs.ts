/**
 * SockJS (sockjs-protocol 0.3.3; server sockjs 0.3.24, client sockjs-client
 * 1.6.1). Server frames: "o" open, "h" heartbeat, "a[...]" messages,
 * "m..." a single message (old servers), "c[code,reason]" close; streaming
 * transports end each frame with "\n" and xhr_streaming starts with a 2048
 * "h" prelude. The client sends a JSON array of strings.
 */
import { decodeDdp } from './ddp.ts';
import { decodeStomp } from './stomp.ts';
import type { DecodedMessage, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { combineMessages, combineParts, defineDecoder, hintUrl, isRecord, parseJson, payloadText, plainMessage, quote, sampleScore } from './util.ts';

export const SOCKJS_TIMINGS: ProtocolTimings = {
  heartbeatMs: 25_000,
  heartbeatDirection: 'server',
  idleOnly: true,
  notes: 'The server sends "h" after heartbeat_delay without other frames to that session (the timer re-arms on every flush). sockjs-client does not time out on missing heartbeats.',
  source: 'sockjs 0.3.24 lib/sockjs.js (heartbeat_delay: 25000), lib/transport.js (Session.tryFlush); sockjs-client 1.6.1 lib/main.js (case "h")',
};

/** /<server>/<session>/<transport>: the SockJS session URL; sockjs-client picks a 3-digit server id (lib/utils/random.js numberString(1000)). */
const SESSION_URL = /\/\d{3}\/[^/.]+\/(websocket|xhr|xhr_streaming|xhr_send|eventsource|htmlfile|jsonp|jsonp_send)$/;

/**
 * A protocol carried inside SockJS messages: STOMP (Spring's default WebSocket set-up) or Meteor's
 * DDP (meteor packages/ddp-server/stream_server.js serves DDP under /sockjs): labelled with its own
 * meaning, so that STOMP heart-beats and DDP pings count as heartbeats. Null unless every message
 * of the frame is that protocol.
 */
function describeInside(kind: 'message' | 'send', messages: unknown[], decodeInner: (text: string) => DecodedMessage | null): DecodedMessage | null {
  if (messages.length === 0 || !messages.every((m) => typeof m === 'string')) return null;
  const parts: DecodedMessage[] = [];
  for (const m of messages as string[]) {
    const decoded = decodeInner(m);
    if (!decoded) return null;
    parts.push({ ...decoded, protocol: 'sockjs', label: `sockjs ${kind} › ${decoded.label}` });
  }
  return combineMessages('sockjs', parts, kind === 'send' ? 'sends' : 'messages');
}

function describeMessages(kind: 'message' | 'send', messages: unknown[]): DecodedMessage {
  const inside = describeInside(kind, messages, decodeStomp) ?? describeInside(kind, messages, decodeDdp);
  if (inside) return inside;
  const first = messages[0];
  const preview = typeof first === 'string' ? quote(first) : JSON.stringify(first) ?? '';
  const label = messages.length === 1 ? `sockjs ${kind} ${preview}` : `sockjs ${kind} ×${messages.length} ${preview}, …`;
  return { protocol: 'sockjs', role: 'data', label, value: { frame: kind, messages: messages.map(inner) } };
}

/** Messages are strings the application chose; show JSON ones parsed. */
function inner(m: unknown): unknown {
  if (typeof m !== 'string') return m;
  const json = parseJson(m);
  return json && typeof json.value === 'object' ? json.value : m;
}

/** One server frame (a line of a streaming body, or a WebSocket message); null when not SockJS. */
function decodeServerFrame(frame: string): DecodedMessage | null {
  if (frame === 'o') return { protocol: 'sockjs', role: 'handshake', label: 'sockjs open', value: { frame: 'open' } };
  if (frame === 'h') return { protocol: 'sockjs', role: 'heartbeat', label: 'sockjs heartbeat', value: { frame: 'heartbeat' } };
  if (frame.length > 1 && /^h+$/.test(frame)) {
    return { protocol: 'sockjs', role: 'control', label: `sockjs streaming prelude (${frame.length} B)`, value: { frame: 'prelude' } };
  }
  const body = parseJson(frame.slice(1));
  if (!body) return null;
  const v = body.value;
  switch (frame[0]) {
    case 'a':
      return Array.isArray(v) ? describeMessages('message', v) : null;
    case 'm':
      return describeMessages('message', [v]);
    case 'c': {
      if (!Array.isArray(v)) return null;
      const [code, reason] = v;
      return {
        protocol: 'sockjs',
        role: 'close',
        label: `sockjs close ${String(code)}${typeof reason === 'string' ? ` ${quote(reason)}` : ''}`,
        value: { frame: 'close', code, reason },
      };
    }
    default:
      return null;
  }
}

/** Decode one SockJS payload in either direction; null when it is not SockJS framing. */
function decodeSockJs(text: string, dir: 'in' | 'out'): DecodedMessage | null {
  if (dir === 'out') {
    // Client frames: a JSON array of strings (websocket, xhr_send), or a single JSON string.
    const json = parseJson(text);
    if (!json) return null;
    if (Array.isArray(json.value)) return describeMessages('send', json.value);
    if (typeof json.value === 'string') return describeMessages('send', [json.value]);
    return null;
  }
  const info = parseJson(text);
  if (info && isRecord(info.value) && 'entropy' in info.value) {
    return { protocol: 'sockjs', role: 'handshake', label: `sockjs info websocket=${String(info.value.websocket)}`, value: info.value };
  }
  const frames = text.split('\n').filter((f) => f.length > 0);
  return combineParts('sockjs', frames, decodeServerFrame, 'frames');
}

export const sockjsDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'sockjs',
    name: 'SockJS',
    timings: SOCKJS_TIMINGS,
    detect(hint) {
      const url = hintUrl(hint);
      const path = url?.pathname ?? '';
      // GET <prefix>/info answers {websocket, origins, cookie_needed, entropy} before any session.
      const info = path.endsWith('/info') && hint.samples.some((s) => /"entropy"\s*:/.test(payloadText(s.data)) && /"cookie_needed"/.test(payloadText(s.data)));
      if (info) return 0.85;
      const urlScore = SESSION_URL.test(path) ? 0.9 : 0;
      const frames = sampleScore(hint, (data, dir) => {
        const text = payloadText(data);
        const d = decodeSockJs(text, dir);
        if (!d) return 'no';
        // An opening "o" or heartbeat "h" is SockJS-specific; a JSON array alone is not.
        return dir === 'in' && /^(o|h|a\[|c\[)/.test(text) ? 'strong' : 'fits';
      });
      // Frames that are not SockJS framing overrule a URL that merely looks like a session URL.
      if (urlScore && frames === 0 && hint.samples.some((s) => s.data.size > 0 && !decodeSockJs(payloadText(s.data), s.dir))) {
        return 0.2;
      }
      return Math.max(urlScore, frames);
    },
    decode(data, dir) {
      return decodeSockJs(payloadText(data), dir) ?? plainMessage('sockjs', data);
    },
  },
  (data) => plainMessage('sockjs', data),
);
