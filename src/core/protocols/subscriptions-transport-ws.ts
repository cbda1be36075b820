/**
 * The legacy Apollo subscriptions-transport-ws protocol (subprotocol
 * `graphql-ws`; subscriptions-transport-ws 0.11.0, dist/message-types.js):
 * connection_init / connection_ack / connection_error, "ka" keep-alive,
 * start / data / error / complete / stop, connection_terminate.
 */
import { graphqlFamilyDecoder } from './graphql-family.ts';
import type { MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';

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

/** Operation ids: the client sends numbers or strings. */
function isId(id: unknown): boolean {
  return typeof id === 'string' || typeof id === 'number';
}

/** Messages only the legacy protocol sends: "ka", its connection verbs, and operations with an id. */
function isDistinct(msg: { type: string; id?: unknown }): boolean {
  if (msg.type === 'ka' || msg.type === 'connection_terminate' || msg.type === 'connection_error') return true;
  return (msg.type === 'start' || msg.type === 'data' || msg.type === 'stop') && isId(msg.id);
}

export const subscriptionsTransportWsDecoder: ProtocolDecoder = graphqlFamilyDecoder({
  id: 'subscriptions-transport-ws',
  name: 'subscriptions-transport-ws (legacy "graphql-ws" subprotocol)',
  timings: SUBSCRIPTIONS_TRANSPORT_WS_TIMINGS,
  subprotocol: 'graphql-ws',
  siblingSubprotocol: 'graphql-transport-ws',
  roles: ROLES,
  operationType: 'start',
  isId,
  isDistinct,
  typeLabel: (type) => (type === 'ka' ? 'ka (keep-alive)' : type),
});
