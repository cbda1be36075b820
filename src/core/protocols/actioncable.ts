/**
 * Rails ActionCable (@rails/actioncable 8.1.400, src/internal.js and
 * src/connection_monitor.js; subprotocol `actioncable-v1-json`, mount path
 * /cable). Server: welcome, ping (every 3 s), confirm_subscription,
 * reject_subscription, disconnect, and `{identifier, message}` broadcasts.
 * Client: `{command: subscribe|unsubscribe|message, identifier, data}`.
 */
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { defineDecoder, hintUrl, isRecord, parseJson, payloadText, plainMessage, quote, sampleScore, subprotocolScore } from './util.ts';

export const ACTIONCABLE_TIMINGS: ProtocolTimings = {
  // Rails actioncable lib/action_cable/server/connections.rb BEAT_INTERVAL = 3 (the server side; not in the npm package).
  heartbeatMs: 3_000,
  // @rails/actioncable 8.1.400 src/connection_monitor.js: the client only records pings (recordMessage), never sends one.
  heartbeatDirection: 'server',
  // src/connection_monitor.js: ConnectionMonitor.staleThreshold = 6 (s); checked every 6-12 s (getPollInterval), so a dead link is noticed 6-12 s after the last ping.
  timeoutMs: 6_000,
  notes: 'The server pings every BEAT_INTERVAL = 3 s; the client reconnects when nothing arrived for staleThreshold = 6 s (two missed pings).',
  source:
    '@rails/actioncable 8.1.400 src/connection_monitor.js (staleThreshold = 6 // Server::Connections::BEAT_INTERVAL * 2); actioncable (Rails) lib/action_cable/server/connections.rb (BEAT_INTERVAL = 3)',
};

const SERVER_TYPES: Record<string, MessageRole> = {
  welcome: 'handshake',
  ping: 'heartbeat',
  confirm_subscription: 'ack',
  reject_subscription: 'error',
  disconnect: 'close',
};

const COMMAND_ROLES: Record<string, MessageRole> = { subscribe: 'control', unsubscribe: 'control', message: 'data' };

/** The channel class named in an identifier (itself a JSON string). */
function channelName(identifier: unknown): string | null {
  if (typeof identifier !== 'string') return null;
  const json = parseJson(identifier);
  return json && isRecord(json.value) && typeof json.value.channel === 'string' ? json.value.channel : null;
}

function decodeCable(text: string): DecodedMessage | null {
  const json = parseJson(text);
  if (!json || !isRecord(json.value)) return null;
  const v = json.value;
  const channel = channelName(v.identifier);
  const on = channel ? ` ${channel}` : '';
  // Own keys only: a type "constructor" or "__proto__" names no ActionCable message.
  if (typeof v.type === 'string' && Object.hasOwn(SERVER_TYPES, v.type)) {
    let label = `actioncable ${v.type}${on}`;
    if (v.type === 'disconnect' && typeof v.reason === 'string') label += ` ${quote(v.reason)}${v.reconnect === false ? ' (no reconnect)' : ''}`;
    return { protocol: 'actioncable', role: SERVER_TYPES[v.type]!, label, value: v };
  }
  if (typeof v.command === 'string' && Object.hasOwn(COMMAND_ROLES, v.command) && typeof v.identifier === 'string') {
    let data: unknown = v.data;
    let action = '';
    if (typeof v.data === 'string') {
      const inner = parseJson(v.data);
      if (inner) data = inner.value;
      if (isRecord(data) && typeof data.action === 'string') action = ` action=${data.action}`;
    }
    return { protocol: 'actioncable', role: COMMAND_ROLES[v.command]!, label: `actioncable ${v.command}${on}${action}`, value: { ...v, data } };
  }
  if (typeof v.identifier === 'string' && 'message' in v && v.type === undefined) {
    return { protocol: 'actioncable', role: 'data', label: `actioncable message${on}`, value: v };
  }
  return null;
}

export const actionCableDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'actioncable',
    name: 'Rails ActionCable',
    timings: ACTIONCABLE_TIMINGS,
    detect(hint) {
      const sub = subprotocolScore(hint, ['actioncable-v1-json', 'actioncable-unsupported']);
      if (sub) return sub;
      const url = hintUrl(hint);
      const frames = sampleScore(hint, (data) => {
        const d = decodeCable(payloadText(data));
        if (!d) return 'no';
        // The server's ping carries a numeric timestamp; a bare {"type":"ping"} proves nothing.
        const v = d.value as Record<string, unknown>;
        if (v.type === 'ping') return typeof v.message === 'number' ? 'strong' : 'fits';
        return d.role === 'data' ? 'fits' : 'strong';
      });
      return frames ? frames : url?.pathname.endsWith('/cable') && hint.transport === 'websocket' ? 0.4 : 0;
    },
    decode(data) {
      return decodeCable(payloadText(data)) ?? plainMessage('actioncable', data);
    },
  },
  (data) => plainMessage('actioncable', data),
);
