/**
 * What graphql-ws (subprotocol `graphql-transport-ws`) and the legacy
 * subscriptions-transport-ws (subprotocol `graphql-ws`) share: JSON messages
 * `{type, id?, payload?}` whose type names the role, a GraphQL operation in the
 * payload of the message that starts one, and detection that leaves a channel
 * to the sibling protocol when the channel negotiated the sibling's subprotocol.
 */
import type { DecodedMessage, MessageRole, ProtocolDecoder, ProtocolTimings } from './types.ts';
import { defineDecoder, isRecord, parseJson, payloadText, plainMessage, sampleScore, subprotocolScore } from './util.ts';

export interface GraphqlMessage {
  type: string;
  id?: unknown;
  payload?: unknown;
}

export interface GraphqlDialect {
  id: string;
  name: string;
  timings: ProtocolTimings;
  /** This protocol's WebSocket subprotocol name. */
  subprotocol: string;
  /** The sibling protocol's subprotocol name: channels that negotiated it are left to the sibling. */
  siblingSubprotocol: string;
  /** Every message type of the protocol and its role; other types are not this protocol. */
  roles: Record<string, MessageRole>;
  /** The type of the message that starts an operation and carries {query, operationName}. */
  operationType: string;
  /** Whether an `id` is a valid operation id (shown in the label). */
  isId(id: unknown): boolean;
  /** Messages only this protocol sends (a sample of one is strong evidence). */
  isDistinct(msg: GraphqlMessage): boolean;
  /** The label text for a message type; the type itself when absent. */
  typeLabel?(type: string): string;
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

export function graphqlFamilyDecoder(dialect: GraphqlDialect): ProtocolDecoder {
  const { id, roles } = dialect;

  function parse(text: string): GraphqlMessage | null {
    const json = parseJson(text);
    // Own keys only: a type "constructor" or "__proto__" names no message of the protocol.
    if (!json || !isRecord(json.value) || typeof json.value.type !== 'string' || !Object.hasOwn(roles, json.value.type)) return null;
    return json.value as { type: string };
  }

  function describe(msg: GraphqlMessage): DecodedMessage {
    let label = `${id} ${dialect.typeLabel ? dialect.typeLabel(msg.type) : msg.type}`;
    if (dialect.isId(msg.id)) label += ` id=${String(msg.id)}`;
    const operation = msg.type === dialect.operationType ? describeOperation(msg.payload) : '';
    if (operation) label += ` ${operation}`;
    return { protocol: id, role: roles[msg.type] ?? 'data', label, value: msg };
  }

  return defineDecoder(
    {
      id,
      name: dialect.name,
      timings: dialect.timings,
      detect(hint) {
        const sub = subprotocolScore(hint, [dialect.subprotocol]);
        if (sub) return sub;
        if (subprotocolScore(hint, [dialect.siblingSubprotocol])) return 0;
        return sampleScore(hint, (data) => {
          const msg = parse(payloadText(data));
          if (!msg) return 'no';
          return dialect.isDistinct(msg) ? 'strong' : 'fits';
        });
      },
      decode(data) {
        const msg = parse(payloadText(data));
        return msg ? describe(msg) : plainMessage(id, data);
      },
    },
    (data) => plainMessage(id, data),
  );
}
