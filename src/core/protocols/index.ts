/**
 * The protocol registry: recognise a channel's wire protocol from its URL,
 * subprotocols and first frames, decode and label each message, and give the
 * library defaults (heartbeat, timeouts) that the analysis compares against.
 * Adding a protocol means adding one decoder file and registering it here.
 */
import type { Direction, Payload } from '../events.ts';
import { actionCableDecoder } from './actioncable.ts';
import { bayeuxDecoder } from './bayeux.ts';
import { cborDecoder } from './cbor.ts';
import { centrifugoDecoder } from './centrifugo.ts';
import { ddpDecoder } from './ddp.ts';
import { engineIoDecoder, engineIoV3Decoder } from './engine-io.ts';
import { decodeGeneric } from './generic.ts';
import { graphqlMultipartDecoder } from './graphql-multipart.ts';
import { graphqlSseDecoder } from './graphql-sse.ts';
import { connectDecoder, grpcWebDecoder } from './grpc-web.ts';
import { graphqlWsDecoder } from './graphql-ws.ts';
import { jsonDecoder } from './json.ts';
import { jsonRpcDecoder } from './json-rpc.ts';
import { mqttDecoder } from './mqtt.ts';
import { msgpackDecoder } from './msgpack.ts';
import { phoenixDecoder } from './phoenix.ts';
import { protobufDecoder } from './protobuf.ts';
import { pusherDecoder } from './pusher.ts';
import { signalrDecoder } from './signalr.ts';
import { socketIoDecoder, socketIoV2Decoder } from './socket-io.ts';
import { sockjsDecoder } from './sockjs.ts';
import { stompDecoder } from './stomp.ts';
import { subscriptionsTransportWsDecoder } from './subscriptions-transport-ws.ts';
import type { DecodedMessage, MessageContext, ProtocolDecoder, ProtocolHint, ProtocolTimings } from './types.ts';

export type { DecodedMessage, MessageContext, MessageRole, ProtocolDecoder, ProtocolHint, ProtocolTimings } from './types.ts';
export { decodeGeneric, sniffBinary } from './generic.ts';

/** Every decoder, most specific first (ties in confidence go to the earlier one). */
export const PROTOCOL_DECODERS: readonly ProtocolDecoder[] = [
  socketIoDecoder,
  socketIoV2Decoder,
  engineIoDecoder,
  engineIoV3Decoder,
  sockjsDecoder,
  graphqlWsDecoder,
  subscriptionsTransportWsDecoder,
  phoenixDecoder,
  actionCableDecoder,
  signalrDecoder,
  stompDecoder,
  mqttDecoder,
  centrifugoDecoder,
  pusherDecoder,
  ddpDecoder,
  bayeuxDecoder,
  graphqlSseDecoder,
  graphqlMultipartDecoder,
  grpcWebDecoder,
  connectDecoder,
  jsonRpcDecoder,
  jsonDecoder,
  msgpackDecoder,
  cborDecoder,
  protobufDecoder,
];

const BY_ID = new Map(PROTOCOL_DECODERS.map((d) => [d.id, d]));

/** Below this, a guess is not worth showing. */
export const MIN_CONFIDENCE = 0.3;

/** The decoder registered under `id`, if any. */
export function getDecoder(id: string): ProtocolDecoder | undefined {
  return BY_ID.get(id);
}

/** The most likely protocol of a channel, or null when none is likely. */
export function detectProtocol(hint: ProtocolHint): { id: string; confidence: number } | null {
  let best: { id: string; confidence: number } | null = null;
  for (const decoder of PROTOCOL_DECODERS) {
    const confidence = decoder.detect(hint);
    if (confidence >= MIN_CONFIDENCE && (!best || confidence > best.confidence)) best = { id: decoder.id, confidence };
  }
  return best;
}

/**
 * Decode one message with the channel's protocol, or generically (JSON-RPC, JSON, binary sniffing, text) when none.
 * `context` gives what the envelope says (the SSE event name), for protocols that use it (graphql-sse).
 */
export function decodeMessage(protocolId: string | null, data: Payload, dir: Direction, context?: MessageContext): DecodedMessage {
  const decoder = protocolId === null ? undefined : BY_ID.get(protocolId);
  return decoder ? decoder.decode(data, dir, context) : decodeGeneric(data);
}

/**
 * Decode a connection's messages in order (one result per message). Protocols
 * whose packets may span WebSocket messages (MQTT) reassemble them; the rest
 * decode each message as decodeMessage does.
 */
export function decodeMessages(
  protocolId: string | null,
  messages: ReadonlyArray<{ dir: Direction; data: Payload }>,
): DecodedMessage[] {
  const decoder = protocolId === null ? undefined : BY_ID.get(protocolId);
  if (decoder?.decodeSequence) return decoder.decodeSequence(messages);
  if (decoder?.sequenceDecoder) return messages.map(decoder.sequenceDecoder());
  return messages.map((m) => decodeMessage(protocolId, m.data, m.dir));
}

/**
 * The timings a connection runs with: what its handshake negotiated when the
 * protocol says it in-band (socket.io/engine.io, STOMP, MQTT, Pusher,
 * Centrifugo), else the library defaults; null for unknown or generic formats.
 */
export function channelTimings(protocolId: string, messages: ReadonlyArray<{ dir: Direction; data: Payload }>): ProtocolTimings | null {
  const decoder = BY_ID.get(protocolId);
  if (!decoder) return null;
  return decoder.negotiatedTimings?.(messages) ?? decoder.timings;
}

/** The library defaults for a protocol, null when it has none (generic formats) or is unknown. */
export function protocolTimings(id: string): ProtocolTimings | null {
  return BY_ID.get(id)?.timings ?? null;
}
