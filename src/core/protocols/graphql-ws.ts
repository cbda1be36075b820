/**
 * graphql-ws (subprotocol `graphql-transport-ws`; graphql-ws 6.4.2,
 * dist/common-CGW11Fyb.js MessageType): connection_init / connection_ack,
 * ping / pong, subscribe, next, error, complete. Labels such as
 * `graphql-ws next id=3`. Not to be confused with the legacy
 * subscriptions-transport-ws, whose subprotocol is named `graphql-ws`.
 */
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { defineDecoder, isRecord, parseJson, payloadText, plainMessage, sampleScore, subprotocolScore } from './util.ts';

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

function parse(text: string): { type: string; id?: unknown; payload?: unknown } | null {
  const json = parseJson(text);
  if (!json || !isRecord(json.value) || typeof json.value.type !== 'string' || !(json.value.type in ROLES)) return null;
  return json.value as { type: string };
}

/** "subscription Greetings" from a GraphQL request payload ({query, operationName}), '' when it says nothing. */
export function describeOperation(payload: unknown): string {
  if (!isRecord(payload)) return '';
  const name = typeof payload.operationName === 'string' ? payload.operationName : null;
  const query = typeof payload.query === 'string' ? payload.query : '';
  const op = /^\s*(query|mutation|subscription)\b\s*(\w+)?/.exec(query);
  if (op) return `${op[1]}${name ?? op[2] ? ` ${name ?? op[2]}` : ''}`;
  return name ?? '';
}

function describe(msg: { type: string; id?: unknown; payload?: unknown }): DecodedMessage {
  let label = `graphql-ws ${msg.type}`;
  if (typeof msg.id === 'string') label += ` id=${msg.id}`;
  const operation = msg.type === 'subscribe' ? describeOperation(msg.payload) : '';
  if (operation) label += ` ${operation}`;
  return { protocol: 'graphql-ws', role: ROLES[msg.type] ?? 'data', label, value: msg };
}

export const graphqlWsDecoder: ProtocolDecoder = defineDecoder(
  {
    id: 'graphql-ws',
    name: 'graphql-ws (graphql-transport-ws)',
    timings: GRAPHQL_WS_TIMINGS,
    detect(hint) {
      const sub = subprotocolScore(hint, ['graphql-transport-ws']);
      if (sub) return sub;
      // The legacy protocol's subprotocol name: leave those channels to it.
      if (subprotocolScore(hint, ['graphql-ws'])) return 0;
      return sampleScore(hint, (data) => {
        const msg = parse(payloadText(data));
        if (!msg) return 'no';
        return isDistinct(msg) ? 'strong' : 'fits';
      });
    },
    decode(data) {
      const msg = parse(payloadText(data));
      return msg ? describe(msg) : plainMessage('graphql-ws', data);
    },
  },
  (data) => plainMessage('graphql-ws', data),
);
