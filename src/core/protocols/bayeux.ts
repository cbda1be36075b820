/**
 * Bayeux 1.0 (faye, CometD): JSON arrays of messages `{channel, clientId?, id?,
 * data?, successful?, advice?, ...}` over long-polling POST (faye
 * transport/xhr.js), JSON-P GET (transport/jsonp.js, `/**\/cb([...]);`), a
 * WebSocket (transport/web_socket.js, one array per frame) or an EventSource
 * (transport/event_source.js). Meta channels (faye 1.4.3 src/protocol/channel.js):
 * /meta/handshake, /meta/connect, /meta/subscribe, /meta/unsubscribe,
 * /meta/disconnect; any other channel carries data (publish, delivery, and the
 * server's `{channel, successful, id}` acknowledgement of a publish).
 *
 * The heartbeat of Bayeux is the /meta/connect cycle: the client sends a
 * connect, the server holds the reply up to `advice.timeout` ms (sooner when it
 * has messages to deliver), and the client sends the next connect
 * `advice.interval` ms after the reply. Labels such as
 * `bayeux /meta/connect ok (long-polling)`, `bayeux message /chat`.
 */
import type { Direction, Payload } from '../events.ts';
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolHint, ProtocolTimings } from './types.ts';
import { combineMessages, defineDecoder, flattenDecoded, hintUrl, isRecord, parseJson, payloadText, plainMessage, quote } from './util.ts';

/**
 * faye's defaults. The server advises `{reconnect: 'retry', interval, timeout}` on every handshake and
 * connect reply (src/protocol/server.js _advize), from its engine's options: TIMEOUT 60 s, INTERVAL 0
 * (src/engines/proxy.js). The client times a connect out after 1.2 × advice.timeout (src/protocol/client.js
 * _sendMessage); the server forgets a client that sent no connect for 2 × timeout (src/engines/memory.js ping).
 */
export const BAYEUX_TIMINGS: ProtocolTimings = {
  heartbeatMs: 60_000,
  heartbeatDirection: 'client',
  timeoutMs: 72_000,
  notes:
    'The /meta/connect cycle is the heartbeat: the server holds each connect up to advice.timeout and the client reconnects advice.interval after the reply. The server announces both in the advice of its handshake and connect replies, which overrides these defaults (faye: timeout 60 s, interval 0; the CometD client assumes the same 60 s until its server advises). The client gives up on a connect after 1.2 × timeout; faye\'s server drops a client silent for 2 × timeout.',
  source:
    'faye 1.4.3 src/engines/proxy.js (TIMEOUT: 60, INTERVAL: 0), src/protocol/server.js (_advize: reconnect retry, interval, timeout in ms), src/protocol/client.js (_sendMessage: timeout 1.2 * advice.timeout), src/engines/memory.js (ping: destroyClient after 2 * timeout); cometd 9.0.0 Client.js (#config.advice: timeout 60000, interval 0; maxNetworkDelay 10000)',
};

/** One Bayeux message as it travels. */
interface BayeuxMessage {
  channel: string;
  [key: string]: unknown;
}

const META_ROLES: Record<string, MessageRole> = {
  '/meta/handshake': 'handshake',
  '/meta/connect': 'heartbeat',
  '/meta/subscribe': 'control',
  '/meta/unsubscribe': 'control',
  '/meta/disconnect': 'close',
};

/** A JSON-P body (faye src/adapters/node_adapter.js: `/**\/` + callback + `(` + json + `);`) unwrapped. */
function unwrapJsonp(text: string): string {
  const m = /^\s*(?:\/\*\*\/)?\s*[A-Za-z_$][\w$.]*\(([\s\S]*)\);?\s*$/.exec(text);
  return m ? m[1]! : text;
}

function isMessage(v: unknown): v is BayeuxMessage {
  return isRecord(v) && typeof v.channel === 'string' && v.channel.startsWith('/');
}

/** The messages of a frame or body; null when it is not Bayeux. */
export function parseBayeux(text: string): BayeuxMessage[] | null {
  const json = parseJson(text) ?? parseJson(unwrapJsonp(text));
  if (!json) return null;
  const list = Array.isArray(json.value) ? json.value : [json.value];
  if (list.length === 0) return null;
  return list.every(isMessage) ? (list as BayeuxMessage[]) : null;
}

/** `interval=0 timeout=60000 reconnect=retry` from an advice object, '' when none. */
function describeAdvice(advice: unknown): string {
  if (!isRecord(advice)) return '';
  const parts: string[] = [];
  for (const key of ['reconnect', 'timeout', 'interval']) {
    const v = advice[key];
    if (typeof v === 'string' || typeof v === 'number') parts.push(`${key}=${v}`);
  }
  return parts.length ? ` advice ${parts.join(' ')}` : '';
}

function describeMessage(msg: BayeuxMessage, dir: Direction): DecodedMessage {
  const { channel } = msg;
  const meta = Object.hasOwn(META_ROLES, channel);
  const reply = typeof msg.successful === 'boolean';
  const failed = msg.successful === false;
  let label = `bayeux ${channel}`;
  let role: MessageRole;
  if (meta) {
    role = failed ? 'error' : META_ROLES[channel]!;
    if (reply) label += failed ? ` failed${typeof msg.error === 'string' ? ` ${quote(msg.error)}` : ''}` : ' ok';
    if (channel === '/meta/handshake' && typeof msg.clientId === 'string' && reply) label += ` clientId=${msg.clientId}`;
    if (channel === '/meta/connect' && typeof msg.connectionType === 'string') label += ` (${msg.connectionType})`;
    if ((channel === '/meta/subscribe' || channel === '/meta/unsubscribe') && msg.subscription !== undefined) {
      const subs = Array.isArray(msg.subscription) ? msg.subscription : [msg.subscription];
      label += ` ${subs.filter((s): s is string => typeof s === 'string').join(',')}`;
    }
    label += describeAdvice(msg.advice);
  } else if ('data' in msg) {
    // A publish from the client, a delivery from the server.
    role = 'data';
    label = `bayeux ${dir === 'out' ? 'publish' : 'message'} ${channel}`;
  } else if (reply) {
    // The server's reply to a publish: {channel, successful, id}.
    role = failed ? 'error' : 'ack';
    label = `bayeux publish ${failed ? 'failed' : 'ok'} ${channel}${failed && typeof msg.error === 'string' ? ` ${quote(msg.error)}` : ''}`;
  } else {
    role = 'data';
  }
  if (typeof msg.id === 'string' || typeof msg.id === 'number') label += ` id=${msg.id}`;
  return { protocol: 'bayeux', role, label, value: msg };
}

function decodeBayeux(data: Payload, dir: Direction): DecodedMessage | null {
  const messages = parseBayeux(payloadText(data));
  if (!messages) return null;
  return combineMessages(
    'bayeux',
    messages.map((m) => describeMessage(m, dir)),
    'batch',
  );
}

/** How much a channel's samples say it speaks Bayeux. */
function detectBayeux(hint: ProtocolHint): number {
  let meta = 0;
  let fits = 0;
  for (const s of hint.samples) {
    if (s.data.size === 0 || /^\s*\[\s*\]\s*$/.test(payloadText(s.data))) continue;
    const messages = parseBayeux(payloadText(s.data));
    if (!messages) {
      // A truncated body cuts the JSON short: it neither supports nor contradicts.
      if (s.data.truncated) continue;
      return 0;
    }
    if (messages.some((m) => m.channel.startsWith('/meta/'))) meta++;
    else fits++;
  }
  // Meta-channel messages are Bayeux's own; data messages alone are any {channel: "/…"} JSON.
  if (meta) return Math.min(0.9, 0.75 + 0.05 * meta + 0.01 * fits);
  const path = hintUrl(hint)?.pathname ?? '';
  // faye's NodeAdapter mounts at /bayeux by default (src/adapters/node_adapter.js DEFAULT_ENDPOINT); apps
  // commonly use /faye; CometD's servlet lives under /cometd.
  const pathFits = /\/(faye|bayeux|cometd)(\/|$)/i.test(path);
  if (pathFits && fits) return 0.6;
  return pathFits && meta + fits === 0 ? 0.4 : 0;
}

export const bayeuxDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'bayeux',
    name: 'Bayeux (faye, CometD)',
    timings: BAYEUX_TIMINGS,
    detect: detectBayeux,
    decode(data, dir) {
      return decodeBayeux(data, dir) ?? plainMessage('bayeux', data);
    },
    negotiatedTimings(messages) {
      // The latest advice the server sent on a handshake or connect reply is the one the client follows.
      let found: { timeout?: number; interval?: number } | null = null;
      for (const m of messages) {
        if (m.dir !== 'in') continue;
        const decoded = decodeBayeux(m.data, m.dir);
        for (const d of decoded ? flattenDecoded(decoded) : []) {
          const v = d.value;
          if (!isMessage(v) || (v.channel !== '/meta/handshake' && v.channel !== '/meta/connect') || !isRecord(v.advice)) continue;
          const { timeout, interval } = v.advice;
          if (typeof timeout !== 'number' && typeof interval !== 'number') continue;
          found = {
            ...(typeof timeout === 'number' ? { timeout } : {}),
            ...(typeof interval === 'number' ? { interval } : {}),
          };
        }
      }
      if (!found) return null;
      const timeout = found.timeout ?? BAYEUX_TIMINGS.heartbeatMs!;
      // A timeout of 0 (faye advises it to EventSource clients) means the connect is answered at once: the cycle is the interval.
      const cycle = timeout + (found.interval ?? 0);
      if (cycle <= 0) return null;
      return {
        ...BAYEUX_TIMINGS,
        heartbeatMs: cycle,
        timeoutMs: timeout > 0 ? Math.round(1.2 * timeout) : BAYEUX_TIMINGS.timeoutMs,
        notes: `From this session's advice (timeout ${timeout} ms, interval ${found.interval ?? 0} ms). ${BAYEUX_TIMINGS.notes ?? ''}`.trim(),
      };
    },
  },
  (data) => plainMessage('bayeux', data),
);
