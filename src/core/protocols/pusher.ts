/**
 * Pusher Channels protocol 7 (pusher-js 8.6.0, src/core/connection/protocol/
 * protocol.ts, src/core/defaults.ts). Every message is `{event, data,
 * channel?}` with `data` usually a JSON string: pusher:connection_established
 * (socket_id, activity_timeout), pusher:ping / pusher:pong, pusher:subscribe,
 * pusher_internal:subscription_succeeded, pusher:error, client-* events and
 * application events.
 */
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { defineDecoder, hintUrl, isRecord, parseJson, payloadText, plainMessage, quote, sampleScore } from './util.ts';

export const PUSHER_TIMINGS: ProtocolTimings = {
  // pusher-js 8.6.0 src/core/defaults.ts: activityTimeout: 120000 (lowered by the server's activity_timeout).
  heartbeatMs: 120_000,
  // src/core/connection/connection_manager.ts sendActivityCheck: the client sends pusher:ping, the server answers pusher:pong.
  heartbeatDirection: 'client',
  // connection_manager.ts: any received message restarts the activity timer (resetActivityCheck).
  idleOnly: true,
  // src/core/defaults.ts: pongTimeout: 30000.
  timeoutMs: 30_000,
  notes:
    'The client sends pusher:ping after activityTimeout without any message (the server lowers it through activity_timeout in pusher:connection_established) and reconnects when no pusher:pong arrives within pongTimeout.',
  source: 'pusher-js 8.6.0 src/core/defaults.ts (activityTimeout: 120000, pongTimeout: 30000), src/core/connection/protocol/protocol.ts (activity_timeout * 1000)',
};

const EVENT_ROLES: Record<string, MessageRole> = {
  'pusher:connection_established': 'handshake',
  'pusher:ping': 'heartbeat',
  'pusher:pong': 'heartbeat',
  'pusher:subscribe': 'control',
  'pusher:unsubscribe': 'control',
  'pusher:signin': 'handshake',
  'pusher:signin_success': 'handshake',
  'pusher:error': 'error',
  'pusher_internal:subscription_succeeded': 'ack',
  'pusher_internal:subscription_count': 'control',
  'pusher:subscription_error': 'error',
};

function decodePusher(text: string): DecodedMessage | null {
  const json = parseJson(text);
  if (!json || !isRecord(json.value) || typeof json.value.event !== 'string') return null;
  const v = json.value;
  const event = v.event as string;
  const keys = Object.keys(v);
  if (!keys.every((k) => k === 'event' || k === 'data' || k === 'channel' || k === 'user_id')) return null;
  let data = v.data;
  if (typeof data === 'string') {
    const inner = parseJson(data);
    if (inner) data = inner.value;
  }
  const channel = typeof v.channel === 'string' ? v.channel : isRecord(data) && typeof data.channel === 'string' ? data.channel : null;
  let label: string;
  if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) {
    label = `pusher ${event}`;
    if (event === 'pusher:connection_established' && isRecord(data) && typeof data.activity_timeout === 'number') {
      label += ` activity_timeout=${data.activity_timeout}s`;
    }
    if (event === 'pusher:error' && isRecord(data) && typeof data.message === 'string') label += ` ${quote(data.message)}`;
  } else label = `pusher event ${quote(event)}`;
  if (channel) label += ` on ${channel}`;
  // Own keys only: an event "constructor" or "__proto__" is a plain data event, not one of the table's.
  return { protocol: 'pusher', role: Object.hasOwn(EVENT_ROLES, event) ? EVENT_ROLES[event]! : 'data', label, value: { ...v, data } };
}

export const pusherDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'pusher',
    name: 'Pusher Channels',
    timings: PUSHER_TIMINGS,
    detect(hint) {
      const url = hintUrl(hint);
      // pusher-js connects to /app/<key>?protocol=7&client=js&version=...
      const urlScore = url && /\/app\/[^/]+$/.test(url.pathname) && url.searchParams.has('protocol') ? 0.9 : 0;
      const frames = sampleScore(hint, (data) => {
        const d = decodePusher(payloadText(data));
        if (!d) return 'no';
        return d.label.startsWith('pusher pusher') ? 'strong' : 'fits';
      });
      return Math.max(urlScore, frames);
    },
    decode(data) {
      return decodePusher(payloadText(data)) ?? plainMessage('pusher', data);
    },
    negotiatedTimings(messages) {
      // pusher:connection_established proposes activity_timeout (s); the client uses the smaller of it and its own option.
      for (const m of messages) {
        const d = m.dir === 'in' ? decodePusher(payloadText(m.data)) : null;
        const data = d && isRecord(d.value) && d.value.event === 'pusher:connection_established' ? d.value.data : null;
        if (isRecord(data) && typeof data.activity_timeout === 'number') {
          const ms = Math.min(data.activity_timeout * 1000, PUSHER_TIMINGS.heartbeatMs!);
          return { ...PUSHER_TIMINGS, heartbeatMs: ms, notes: `Server activity_timeout ${data.activity_timeout} s. ${PUSHER_TIMINGS.notes}` };
        }
      }
      return null;
    },
  },
  (data) => plainMessage('pusher', data),
);
