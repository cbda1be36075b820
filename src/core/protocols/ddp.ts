/**
 * Meteor DDP, version 1 (meteor packages/ddp/DDP.md at commit 024061123a49,
 * ddp-server 3.0.2 / ddp-client 3.0.2 / ddp-common 1.4.4; client ddp.js 2.2.1).
 * Every message is one JSON object with a `msg` field: connect/connected/failed,
 * ping/pong (optional id), sub/unsub/nosub/ready, added/changed/removed/
 * addedBefore/movedBefore, method/result/updated, error. Over a raw WebSocket
 * (Meteor's `/websocket` endpoint) each message is one text frame; Meteor's own
 * client goes through SockJS (`/sockjs/…`): such a channel is SockJS's, and
 * sockjs.ts labels the DDP inside with decodeDdp. No subprotocol is negotiated. The server may first send an object
 * without `msg` (older Meteor: `{"server_id":"0"}`), which clients ignore.
 */
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { defineDecoder, isRecord, parseJson, payloadText, plainMessage, quote, sampleScore } from './util.ts';

/** Meteor's heartbeat timeout, the same on both sides: a ping unanswered this long closes the connection. */
// meteor 024061123a49 packages/ddp-server/livedata_server.js Server options heartbeatTimeout: 15000;
// packages/ddp-client/common/livedata_connection.js Connection options heartbeatTimeout: 15000.
const METEOR_HEARTBEAT_TIMEOUT_MS = 15_000;

export const DDP_TIMINGS: ProtocolTimings = {
  // meteor 024061123a49 packages/ddp-server/livedata_server.js Server options heartbeatInterval: 15000 (the client's,
  // packages/ddp-client/common/livedata_connection.js heartbeatInterval: 17500, is longer: the server's ping comes first).
  heartbeatMs: 15_000,
  // packages/ddp-common/heartbeat.js: both sides run the same Heartbeat (sendPing { msg: 'ping' }, answered by
  // { msg: 'pong', id }); the server usually pings first, the client pings when its own tick saw nothing.
  heartbeatDirection: 'both',
  // heartbeat.js _heartbeatIntervalFired: a tick sends a ping only when no message arrived since the previous tick.
  idleOnly: true,
  timeoutMs: METEOR_HEARTBEAT_TIMEOUT_MS,
  notes:
    "Meteor's heartbeat is a fixed timer that skips a tick when any message arrived since the last one (ddp-common heartbeat.js): the server pings after 15 s without a client message, the client after 17.5 s without a server message, and either closes 15 s after an unanswered ping. The pong counts as a message, so on an idle connection the server pings every 30 s (every other tick). DDP version \"pre1\" has no heartbeats. ddp.js 2.2.1 (src/ddp.js) answers pings but never sends one and has no timeout.",
  source:
    'meteor 024061123a49 (ddp-server 3.0.2, ddp-client 3.0.2, ddp-common 1.4.4): packages/ddp-server/livedata_server.js (heartbeatInterval: 15000, heartbeatTimeout: 15000), packages/ddp-client/common/livedata_connection.js (heartbeatInterval: 17500, heartbeatTimeout: 15000), packages/ddp-common/heartbeat.js; ddp.js 2.2.1 src/ddp.js',
};

const ROLES: Record<string, MessageRole> = {
  connect: 'handshake',
  connected: 'handshake',
  failed: 'error',
  ping: 'heartbeat',
  pong: 'heartbeat',
  sub: 'control',
  unsub: 'control',
  nosub: 'ack',
  ready: 'ack',
  added: 'data',
  changed: 'data',
  removed: 'data',
  addedBefore: 'data',
  movedBefore: 'data',
  method: 'data',
  result: 'ack',
  updated: 'ack',
  error: 'error',
};

/** An id or collection name shortened for a label. */
function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > 32 ? `${s.slice(0, 32)}…` : s;
}

/** A list of ids (ready subs, updated methods) for a label. */
function ids(v: unknown): string {
  if (!Array.isArray(v)) return '?';
  const shown = v.slice(0, 4).map(short).join(',');
  return v.length > 4 ? `${shown},… (${v.length})` : shown;
}

/** The words of a DDP Error object (DDP.md "Errors": error, reason, message). */
function errorText(e: unknown): string {
  if (!isRecord(e)) return quote(short(e));
  const text = [e.reason, e.message, e.error].find((x) => typeof x === 'string' && x !== '') ?? (typeof e.error === 'number' ? String(e.error) : '');
  return quote(text as string);
}

const str = (v: unknown): v is string => typeof v === 'string';

/** Whether a message has the fields DDP.md requires of its type: such a message is evidence of DDP. */
function wellFormed(v: Record<string, unknown>): boolean {
  switch (v.msg) {
    case 'connect':
      return str(v.version) && Array.isArray(v.support);
    case 'connected':
      return str(v.session);
    case 'failed':
      return str(v.version);
    case 'sub':
      return str(v.id) && str(v.name);
    case 'unsub':
    case 'nosub':
    case 'result':
      return str(v.id);
    case 'ready':
      return Array.isArray(v.subs);
    case 'updated':
      return Array.isArray(v.methods);
    case 'added':
    case 'changed':
    case 'removed':
      return str(v.collection) && 'id' in v;
    case 'addedBefore':
    case 'movedBefore':
      return str(v.collection) && 'id' in v && 'before' in v;
    case 'method':
      return str(v.method) && str(v.id);
    default:
      return false;
  }
}

function labelOf(v: Record<string, unknown>, msg: string): string {
  const id = 'id' in v && v.id !== undefined ? ` id=${short(v.id)}` : '';
  switch (msg) {
    case 'connect':
      return `ddp connect${str(v.version) ? ` version=${short(v.version)}` : ''}${str(v.session) ? ' (resume)' : ''}`;
    case 'failed':
      return `ddp failed${str(v.version) ? ` version=${short(v.version)}` : ''}`;
    case 'sub':
      return `ddp sub${str(v.name) ? ` ${quote(v.name)}` : ''}${id}`;
    case 'method':
      return `ddp method${str(v.method) ? ` ${quote(v.method)}` : ''}${id}`;
    case 'nosub':
    case 'result':
      return `ddp ${msg}${id}${v.error !== undefined && v.error !== null ? ` error ${errorText(v.error)}` : ''}`;
    case 'ready':
      return `ddp ready subs=${ids(v.subs)}`;
    case 'updated':
      return `ddp updated methods=${ids(v.methods)}`;
    case 'added':
    case 'changed':
    case 'removed':
    case 'addedBefore':
    case 'movedBefore': {
      const before = (msg === 'addedBefore' || msg === 'movedBefore') && 'before' in v ? ` before=${v.before === null ? 'end' : short(v.before)}` : '';
      return `ddp ${msg}${str(v.collection) ? ` ${short(v.collection)}` : ''}${id}${before}`;
    }
    case 'error':
      return `ddp error${str(v.reason) ? ` ${quote(v.reason)}` : ''}`;
    default:
      // connected, ping, pong, unsub
      return `ddp ${msg}${msg === 'connected' ? '' : id}`;
  }
}

/** One DDP message decoded; null when the text is not one. */
export function decodeDdp(text: string): DecodedMessage | null {
  const json = parseJson(text);
  if (!json || !isRecord(json.value)) return null;
  const v = json.value;
  if (!('msg' in v)) {
    // DDP.md "Establishing a DDP Connection": the server may first send an object without `msg`
    // (Meteor before 1.x sent {"server_id":"0"}; ddp-client livedata_connection.js still skips it).
    if (str(v.server_id) && Object.keys(v).length === 1) {
      return { protocol: 'ddp', role: 'control', label: `ddp server_id=${short(v.server_id)}`, value: v };
    }
    return null;
  }
  // Own keys only: a msg "constructor" or "__proto__" names no DDP message.
  if (!str(v.msg) || !Object.hasOwn(ROLES, v.msg)) return null;
  const msg = v.msg;
  let role = ROLES[msg]!;
  if ((msg === 'result' || msg === 'nosub') && v.error !== undefined && v.error !== null) role = 'error';
  return { protocol: 'ddp', role, label: labelOf(v, msg), value: v };
}

/** The handshake that DDP defines: the client's connect with version and support, the server's connected with a session. */
function isHandshake(v: unknown): boolean {
  return isRecord(v) && (v.msg === 'connect' || v.msg === 'connected') && wellFormed(v);
}

export const ddpDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'ddp',
    name: 'Meteor DDP',
    timings: DDP_TIMINGS,
    detect(hint) {
      // DDP travels over a WebSocket or inside SockJS (DDP.md "General Message Structure"); SockJS's
      // HTTP transports are sockjs.ts's. No subprotocol, and a URL that ends in /websocket is common to
      // SockJS, Phoenix and Centrifugo: only the frames tell.
      if (hint.transport !== 'websocket') return 0;
      let handshake = false;
      const frames = sampleScore(hint, (data) => {
        const d = decodeDdp(payloadText(data));
        if (!d) return 'no';
        if (isHandshake(d.value)) handshake = true;
        return isRecord(d.value) && wellFormed(d.value) ? 'strong' : 'fits';
      });
      // The handshake is evidence the protocol defines; other frames are shapes that fit.
      return frames > 0 && handshake ? 0.9 : frames;
    },
    decode(data) {
      return decodeDdp(payloadText(data)) ?? plainMessage('ddp', data);
    },
  },
  (data) => plainMessage('ddp', data),
);
