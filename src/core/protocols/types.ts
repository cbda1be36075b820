/**
 * The contract every wire-protocol decoder implements: one file per protocol
 * under src/core/protocols/, registered in ./index.ts.
 */
import type { Direction, HeaderList, Payload, Transport } from '../events.ts';

/** What role a message plays in its protocol. */
export type MessageRole = 'handshake' | 'data' | 'heartbeat' | 'ack' | 'error' | 'close' | 'control';

/** A decoded, labelled message. */
export interface DecodedMessage {
  /** Protocol id, e.g. 'socket.io'. */
  protocol: string;
  role: MessageRole;
  /** Short human label, e.g. 'socket.io EVENT "chat"', 'graphql-ws next id=3'. */
  label: string;
  /** Structured view of the payload for display (JSON-safe), null when none. */
  value: unknown;
  /**
   * Bytes of this frame on the wire, when a sequence decoder read it from a byte stream cut
   * anywhere (a gRPC-web envelope, a multipart part): the frames of one chunk have their own sizes.
   */
  size?: number;
}

/** What a decoder can see about a channel to decide whether it speaks its protocol. */
export interface ProtocolHint {
  transport: Transport;
  url: string;
  /** WebSocket subprotocols requested and the one negotiated. */
  requestedProtocols: string[];
  negotiatedProtocol: string;
  /** The first few payloads of the channel, in order, with direction (and the SSE event name of SSE messages). */
  samples: Array<{ dir: Direction; data: Payload; event?: string | null }>;
  /** HTTP channels: the first request's method and headers, its response status and media type. */
  method?: string;
  requestHeaders?: HeaderList;
  status?: number | null;
  contentType?: string;
}

/** What a message's envelope says besides its payload: the SSE event name of an SSE message. */
export interface MessageContext {
  event?: string | null;
}

/** Defaults from a library's source that the analysis compares against. */
export interface ProtocolTimings {
  /** Heartbeat interval the library uses by default, ms. */
  heartbeatMs?: number;
  /** Which side sends the heartbeat by default. */
  heartbeatDirection?: 'client' | 'server' | 'both';
  /**
   * Where the heartbeat travels: 'message' (an application message that page
   * hooks see) or 'control-frame' (WebSocket ping/pong, invisible to page
   * script). Absent means 'message'.
   */
  heartbeatLevel?: 'message' | 'control-frame';
  /**
   * True when the timer restarts on any traffic, so the heartbeat is "at most
   * every heartbeatMs of silence" rather than a fixed period.
   */
  idleOnly?: boolean;
  /** How long a peer waits without a heartbeat before it drops the connection, ms. */
  timeoutMs?: number;
  /** Anything an analyst needs to read the numbers right (negotiation, options). */
  notes?: string;
  /** Source citation: package, version, file. */
  source: string;
}

export interface ProtocolDecoder {
  id: string;
  /** Display name. */
  name: string;
  /** Confidence 0..1 that the channel speaks this protocol (0 = no). */
  detect(hint: ProtocolHint): number;
  /** Decode one message; never throws (returns role 'data' with a plain label when unsure). */
  decode(data: Payload, dir: Direction, context?: MessageContext): DecodedMessage;
  /**
   * Optional: decode a connection's messages in order, one result per message,
   * for protocols whose packets may span several WebSocket messages (MQTT over
   * WebSocket, MQTT 3.1.1 §6). Never throws. Without it, messages are decoded
   * one by one.
   */
  decodeSequence?(messages: ReadonlyArray<{ dir: Direction; data: Payload }>): DecodedMessage[];
  /**
   * Optional, with decodeSequence: the same decoding one message at a time, for a
   * live connection whose messages keep arriving. Each call decodes the next
   * message of the connection; the state (a packet's pieces so far) stays inside.
   */
  sequenceDecoder?(): (message: { dir: Direction; data: Payload }) => DecodedMessage;
  /**
   * Optional: the timings this connection actually agreed, read from its
   * handshake (engine.io open packet, STOMP heart-beat headers, MQTT CONNECT
   * keepalive, Pusher activity_timeout, Centrifugo connect reply); null when
   * the messages do not say. Never throws.
   */
  negotiatedTimings?(messages: ReadonlyArray<{ dir: Direction; data: Payload }>): ProtocolTimings | null;
  timings: ProtocolTimings | null;
}
