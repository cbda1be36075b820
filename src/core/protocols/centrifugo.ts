/**
 * Centrifugo / centrifuge-js client protocol v2, JSON encoding (centrifuge
 * 5.8.0, build/index.js: commands joined with "\n"). Commands `{id, connect |
 * subscribe | publish | rpc | ...}`, replies `{id, <same key> | error}`,
 * pushes `{push: {channel, pub | join | leave | ...}}`. The server's ping is
 * an empty object `{}` and the client's pong is `{}` too (sent when the
 * connect reply says `pong: true`).
 */
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { combineParts, defineDecoder, flattenDecoded, hintUrl, isRecord, parseJson, payloadText, plainMessage, quote, sampleScore } from './util.ts';

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

function decodeCentrifugo(text: string, dir: 'in' | 'out'): DecodedMessage | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return combineParts(
    'centrifugo',
    lines,
    (line) => {
      const json = parseJson(line);
      return json && isRecord(json.value) ? describeRecord(json.value, dir) : null;
    },
    // centrifuge-js batches commands too (connect and subscribe go in one frame); the protocol calls what the server sends replies.
    dir === 'out' ? 'commands' : 'replies',
  );
}

export const centrifugoDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'centrifugo',
    name: 'Centrifugo',
    timings: CENTRIFUGO_TIMINGS,
    detect(hint) {
      const url = hintUrl(hint);
      const urlScore = url && /\/connection\/(websocket|sse|http_stream|uni_websocket|uni_sse|uni_http_stream)$/.test(url.pathname) ? 0.85 : 0;
      const frames = sampleScore(hint, (data, dir) => {
        const d = decodeCentrifugo(payloadText(data), dir);
        if (!d) return 'no';
        // An empty object or a bare result proves little; a connect command/reply or a push does.
        return /centrifugo (connect|push|subscribe)/.test(d.label) ? 'strong' : 'fits';
      });
      return Math.max(urlScore, frames);
    },
    decode(data, dir) {
      return decodeCentrifugo(payloadText(data), dir) ?? plainMessage('centrifugo', data);
    },
    negotiatedTimings(messages) {
      // The connect reply says how often the server pings (s) and whether the client must pong.
      for (const m of messages) {
        if (m.dir !== 'in') continue;
        const decoded = decodeCentrifugo(payloadText(m.data), 'in');
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
