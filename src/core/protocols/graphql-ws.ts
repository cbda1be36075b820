/**
 * graphql-ws (subprotocol `graphql-transport-ws`; graphql-ws 6.4.2,
 * dist/common-CGW11Fyb.js MessageType): connection_init / connection_ack,
 * ping / pong, subscribe, next, error, complete. Labels such as
 * `graphql-ws next id=3`. Not to be confused with the legacy
 * subscriptions-transport-ws, whose subprotocol is named `graphql-ws`.
 */
import type { MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { graphqlFamilyDecoder } from './graphql-family.ts';

export const GRAPHQL_WS_TIMINGS: ProtocolTimings = {
  heartbeatMs: 12_000,
  heartbeatDirection: 'server',
  heartbeatLevel: 'control-frame',
  timeoutMs: 12_000,
  notes:
    'graphql-ws/use/ws pings with WebSocket control frames (socket.ping()) every keepAlive ms and terminates the socket when no pong arrives within keepAlive: invisible to page script. The client sends "ping" messages only when its keepAlive option is set (default 0).',
  source: 'graphql-ws 6.4.2 dist/use/ws.js (useServer keepAlive = 12e3, socket.ping()); dist/client.js (keepAlive = 0)',
};

const ROLES: Record<string, MessageRole> = {
  connection_init: 'handshake',
  connection_ack: 'handshake',
  ping: 'heartbeat',
  pong: 'heartbeat',
  subscribe: 'data',
  next: 'data',
  error: 'error',
  complete: 'control',
};

/**
 * Messages only this protocol sends: operations with an id. connection_init/ack,
 * error and complete exist in the legacy protocol too, and a bare {"type":"ping"}
 * is common in home-made JSON protocols.
 */
function isDistinct(msg: { type: string; id?: unknown }): boolean {
  return (msg.type === 'subscribe' || msg.type === 'next') && typeof msg.id === 'string';
}

export const graphqlWsDecoder: ProtocolDecoder = graphqlFamilyDecoder({
  id: 'graphql-ws',
  name: 'graphql-ws (graphql-transport-ws)',
  timings: GRAPHQL_WS_TIMINGS,
  subprotocol: 'graphql-transport-ws',
  // The legacy protocol's subprotocol name: leave those channels to it.
  siblingSubprotocol: 'graphql-ws',
  roles: ROLES,
  operationType: 'subscribe',
  isId: (id) => typeof id === 'string',
  isDistinct,
});
