/**
 * The legacy Apollo subscriptions-transport-ws protocol (subprotocol
 * `graphql-ws`; subscriptions-transport-ws 0.11.0, dist/message-types.js):
 * connection_init / connection_ack / connection_error, "ka" keep-alive,
 * start / data / error / complete / stop, connection_terminate.
 */
import { describeOperation } from './graphql-ws.ts';
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { defineDecoder, isRecord, parseJson, payloadText, plainMessage, sampleScore, subprotocolScore } from './util.ts';

export const SUBSCRIPTIONS_TRANSPORT_WS_TIMINGS: ProtocolTimings = {
  heartbeatDirection: 'server',
  notes:
    'The server sends "ka" every keepAlive ms only when its keepAlive option is set (no default); the client, once it has seen a "ka", closes after timeout (WS_TIMEOUT 30000 ms) without one.',
  timeoutMs: 30_000,
  source: 'subscriptions-transport-ws 0.11.0 dist/server.js (keepAlive option, setInterval), dist/defaults.js (WS_TIMEOUT = 30000)',
};

const ROLES: Record<string, MessageRole> = {
  connection_init: 'handshake',
  connection_ack: 'handshake',
  connection_error: 'error',
  ka: 'heartbeat',
  connection_terminate: 'close',
  start: 'data',
  data: 'data',
  error: 'error',
  complete: 'control',
  stop: 'control',
};

/** Messages only the legacy protocol sends: "ka", its connection verbs, and operations with an id. */
function isDistinct(msg: { type: string; id?: unknown }): boolean {
  if (msg.type === 'ka' || msg.type === 'connection_terminate' || msg.type === 'connection_error') return true;
  return (msg.type === 'start' || msg.type === 'data' || msg.type === 'stop') && (typeof msg.id === 'string' || typeof msg.id === 'number');
}

function parse(text: string): { type: string; id?: unknown; payload?: unknown } | null {
  const json = parseJson(text);
  if (!json || !isRecord(json.value) || typeof json.value.type !== 'string' || !(json.value.type in ROLES)) return null;
  return json.value as { type: string };
}

function describe(msg: { type: string; id?: unknown; payload?: unknown }): DecodedMessage {
  let label = `subscriptions-transport-ws ${msg.type === 'ka' ? 'ka (keep-alive)' : msg.type}`;
  if (typeof msg.id === 'string' || typeof msg.id === 'number') label += ` id=${msg.id}`;
  const operation = msg.type === 'start' ? describeOperation(msg.payload) : '';
  if (operation) label += ` ${operation}`;
  return { protocol: 'subscriptions-transport-ws', role: ROLES[msg.type] ?? 'data', label, value: msg };
}

export const subscriptionsTransportWsDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'subscriptions-transport-ws',
    name: 'subscriptions-transport-ws (legacy "graphql-ws" subprotocol)',
    timings: SUBSCRIPTIONS_TRANSPORT_WS_TIMINGS,
    detect(hint) {
      const sub = subprotocolScore(hint, ['graphql-ws']);
      if (sub) return sub;
      if (subprotocolScore(hint, ['graphql-transport-ws'])) return 0;
      return sampleScore(hint, (data) => {
        const msg = parse(payloadText(data));
        if (!msg) return 'no';
        return isDistinct(msg) ? 'strong' : 'fits';
      });
    },
    decode(data) {
      const msg = parse(payloadText(data));
      return msg ? describe(msg) : plainMessage('subscriptions-transport-ws', data);
    },
  },
  (data) => plainMessage('subscriptions-transport-ws', data),
);
