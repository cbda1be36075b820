/**
 * Server sides of four client libraries' wire protocols, one session per
 * WebSocket: enough of SignalR's JSON hub protocol, Phoenix channels
 * (serializer v2), ActionCable (actioncable-v1-json) and Centrifugo's JSON
 * protocol for the real clients to connect, join or subscribe, and stay
 * connected with the servers' default heartbeats. The protocol-real unit tests
 * drive them with the Node clients, the backoff matrix (test/e2e) with the
 * browser builds; hooks add what a test needs beyond that.
 */
import mqttPacket from 'mqtt-packet';
import type { RawData, WebSocket } from 'ws';

/** Text of a ws message (text frames arrive as Buffer with isBinary false). */
export function rawText(data: RawData): string {
  return Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}

/* SignalR, JSON hub protocol */

/** Record separator of SignalR's text protocols (@microsoft/signalr src/TextMessageFormat.ts RecordSeparator). */
export const SIGNALR_RS = '\x1e';
/** ASP.NET Core HubOptions.KeepAliveInterval default: the server pings after 15 s without sending. */
export const SIGNALR_KEEPALIVE_MS = 15_000;

/** One hub protocol record (HubProtocol.ts message types: 1 invocation … 6 ping, 7 close). */
export interface HubRecord {
  protocol?: string;
  type?: number;
  target?: string;
  invocationId?: string;
  arguments?: unknown[];
}

export interface SignalrHubSession {
  send(record: object): void;
  handshaken: boolean;
  pingsSent: number;
  pingsReceived: number;
}

export interface SignalrHubOptions {
  /** How often the server pings (it pings on a timer, not only when idle). */
  keepAliveMs?: number;
  /** After the handshake response. */
  onHandshake?(hub: SignalrHubSession): void;
  /** Every record after the handshake but pings. */
  onRecord?(record: HubRecord, hub: SignalrHubSession): void;
}

/** Serve SignalR's JSON hub protocol on `socket`: handshake response, server pings, the rest to `onRecord`. */
export function serveSignalrHub(socket: WebSocket, options: SignalrHubOptions = {}): SignalrHubSession {
  let timer: NodeJS.Timeout | undefined;
  const hub: SignalrHubSession = {
    send: (record) => socket.send(JSON.stringify(record) + SIGNALR_RS),
    handshaken: false,
    pingsSent: 0,
    pingsReceived: 0,
  };
  socket.on('close', () => clearInterval(timer));
  socket.on('message', (raw) => {
    for (const text of rawText(raw).split(SIGNALR_RS).slice(0, -1)) {
      const record = JSON.parse(text) as HubRecord;
      if (!hub.handshaken && record.protocol !== undefined) {
        hub.handshaken = true;
        socket.send(`{}${SIGNALR_RS}`);
        options.onHandshake?.(hub);
        timer = setInterval(() => {
          hub.pingsSent++;
          hub.send({ type: 6 });
        }, options.keepAliveMs ?? SIGNALR_KEEPALIVE_MS);
      } else if (record.type === 6) {
        hub.pingsReceived++;
      } else {
        options.onRecord?.(record, hub);
      }
    }
  });
  return hub;
}

/** What ASP.NET Core answers to POST <hub>/negotiate?negotiateVersion=1 (HttpConnection.ts INegotiateResponse). */
export function signalrNegotiateResponse(connectionToken: string, transports = ['WebSockets', 'ServerSentEvents', 'LongPolling']): string {
  const formats: Record<string, string[]> = { WebSockets: ['Text', 'Binary'], ServerSentEvents: ['Text'], LongPolling: ['Text', 'Binary'] };
  return JSON.stringify({
    negotiateVersion: 1,
    connectionId: `id-${connectionToken}`,
    connectionToken,
    availableTransports: transports.map((transport) => ({ transport, transferFormats: formats[transport] })),
  });
}

/* Phoenix channels, serializer v2: [join_ref, ref, topic, event, payload] */

export type PhoenixMessage = [joinRef: string | null, ref: string | null, topic: string, event: string, payload: unknown];

export interface PhoenixSession {
  /** phx_reply to `message` with its refs. */
  reply(message: PhoenixMessage, response: unknown, status?: string): void;
  /** A server push on `topic` (Phoenix.Channel.push/broadcast: no ref). */
  push(joinRef: string | null, topic: string, event: string, payload: unknown): void;
  heartbeats: number;
}

export interface PhoenixOptions {
  /** After phx_join was answered ok. */
  onJoin?(message: PhoenixMessage, session: PhoenixSession): void;
  /** Events other than heartbeat, phx_join and phx_leave; without it they are answered ok. */
  onEvent?(message: PhoenixMessage, session: PhoenixSession): void;
  /** Binary frames (serializer.js binaryEncode). */
  onBinary?(bytes: Buffer, session: PhoenixSession): void;
}

/** Serve Phoenix channels on `socket`: heartbeat replies, joins and leaves answered ok. */
export function servePhoenixChannels(socket: WebSocket, options: PhoenixOptions = {}): PhoenixSession {
  const session: PhoenixSession = {
    reply: ([joinRef, ref, topic], response, status = 'ok') => socket.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status, response }])),
    push: (joinRef, topic, event, payload) => socket.send(JSON.stringify([joinRef, null, topic, event, payload])),
    heartbeats: 0,
  };
  socket.on('message', (raw, isBinary) => {
    if (isBinary) {
      options.onBinary?.(raw as Buffer, session);
      return;
    }
    const message = JSON.parse(rawText(raw)) as PhoenixMessage;
    const [joinRef, ref, topic, event] = message;
    if (topic === 'phoenix' && event === 'heartbeat') {
      session.heartbeats++;
      session.reply(message, {});
    } else if (event === 'phx_join') {
      session.reply(message, {});
      options.onJoin?.(message, session);
    } else if (event === 'phx_leave') {
      session.reply(message, {});
      socket.send(JSON.stringify([joinRef, ref, topic, 'phx_close', {}]));
    } else if (options.onEvent) {
      options.onEvent(message, session);
    } else {
      session.reply(message, {});
    }
  });
  return session;
}

/* ActionCable, actioncable-v1-json */

export const ACTIONCABLE_PROTOCOL = 'actioncable-v1-json';
/** Rails ActionCable::Server::Connections::BEAT_INTERVAL: a ping every 3 s. */
export const ACTIONCABLE_BEAT_MS = 3_000;

/** `handleProtocols` for ws: the client closes for good on any other subprotocol (connection.js events.open). */
export function selectActionCableProtocol(protocols: Set<string>): string | false {
  return protocols.has(ACTIONCABLE_PROTOCOL) ? ACTIONCABLE_PROTOCOL : false;
}

export interface ActionCableCommand {
  command: string;
  identifier: string;
  data?: string;
}

export interface ActionCableSession {
  send(message: object): void;
  pingsSent: number;
}

export interface ActionCableOptions {
  pingMs?: number;
  /** Whether to confirm a subscription (default yes). */
  accept?(identifier: string): boolean;
  /** After confirm_subscription. */
  onConfirmed?(identifier: string, session: ActionCableSession): void;
  /** Commands other than subscribe. */
  onCommand?(command: ActionCableCommand, session: ActionCableSession): void;
}

/** Serve ActionCable on `socket`: welcome, server pings, subscriptions confirmed (or rejected). */
export function serveActionCable(socket: WebSocket, options: ActionCableOptions = {}): ActionCableSession {
  const session: ActionCableSession = { send: (message) => socket.send(JSON.stringify(message)), pingsSent: 0 };
  session.send({ type: 'welcome' });
  // The ping carries the epoch seconds (ActionCable::Server::Connections#setup_heartbeat_timer).
  const timer = setInterval(() => {
    session.pingsSent++;
    session.send({ type: 'ping', message: Math.floor(Date.now() / 1000) });
  }, options.pingMs ?? ACTIONCABLE_BEAT_MS);
  socket.on('close', () => clearInterval(timer));
  socket.on('message', (raw) => {
    const command = JSON.parse(rawText(raw)) as ActionCableCommand;
    if (command.command !== 'subscribe') {
      options.onCommand?.(command, session);
    } else if (options.accept?.(command.identifier) === false) {
      session.send({ identifier: command.identifier, type: 'reject_subscription' });
    } else {
      session.send({ identifier: command.identifier, type: 'confirm_subscription' });
      options.onConfirmed?.(command.identifier, session);
    }
  });
  return session;
}

/* Centrifugo, JSON protocol v2 */

/** Centrifugo's ping_interval default (25 s), told to the client in the connect reply. */
export const CENTRIFUGO_PING_SECONDS = 25;

export type CentrifugoCommand = { id?: number } & Record<string, Record<string, unknown> | number | undefined>;

/** The replies and pushes one incoming frame produces: replies go out in one frame, then each push alone. */
export interface CentrifugoFrame {
  reply(id: number | undefined, body: object): void;
  push(push: object): void;
}

export interface CentrifugoSession {
  pingsSent: number;
  pongs: number;
}

export interface CentrifugoOptions {
  pingSeconds?: number;
  /** Handle a command first; return true when it did. Unhandled connect and subscribe get a plain success reply. */
  onCommand?(command: CentrifugoCommand, frame: CentrifugoFrame): boolean;
  /** After the connect reply went out. */
  onConnected?(session: CentrifugoSession): void;
}

/** Serve Centrifugo's JSON protocol on `socket`: connect (pings every `pingSeconds`, pongs wanted), subscribe. */
export function serveCentrifugo(socket: WebSocket, options: CentrifugoOptions = {}): CentrifugoSession {
  const pingSeconds = options.pingSeconds ?? CENTRIFUGO_PING_SECONDS;
  const session: CentrifugoSession = { pingsSent: 0, pongs: 0 };
  let timer: NodeJS.Timeout | undefined;
  socket.on('close', () => clearInterval(timer));
  socket.on('message', (raw) => {
    const replies: string[] = [];
    const pushes: string[] = [];
    const frame: CentrifugoFrame = {
      reply: (id, body) => replies.push(JSON.stringify({ id, ...body })),
      push: (push) => pushes.push(JSON.stringify({ push })),
    };
    let connected = false;
    // Commands are JSON objects joined with "\n" (build/index.js JsonCodec.encodeCommands).
    for (const line of rawText(raw).split('\n').filter((l) => l.trim() !== '')) {
      const command = JSON.parse(line) as CentrifugoCommand;
      if (Object.keys(command).length === 0) {
        session.pongs++;
      } else if (options.onCommand?.(command, frame)) {
        continue;
      } else if (command.connect) {
        frame.reply(command.id, { connect: { client: 'c0ffee', version: '6.0.0', ping: pingSeconds, pong: true } });
        connected = true;
        clearInterval(timer);
        timer = setInterval(() => {
          session.pingsSent++;
          socket.send('{}');
        }, pingSeconds * 1000);
      } else if (command.subscribe) {
        frame.reply(command.id, { subscribe: {} });
      }
    }
    if (replies.length) socket.send(replies.join('\n'));
    for (const p of pushes) socket.send(p);
    if (connected) options.onConnected?.(session);
  });
  return session;
}

/* STOMP 1.2 over WebSocket */

/** One STOMP frame: `COMMAND\nheader:value\n…\n\nbody\0`. */
export function stompFrame(command: string, headers: Record<string, string>, body = ''): string {
  return `${command}\n${Object.entries(headers)
    .map(([k, v]) => `${k}:${v}\n`)
    .join('')}\n${body}\0`;
}

export interface StompOptions {
  /** The broker's heart-beat header (sx,sy): it sends every max(sx, the client's cy) ms when both are set. Default 10000,10000. */
  heartBeat?: [number, number];
  /** After CONNECTED went out. */
  onConnected?(): void;
}

/**
 * Serve enough of STOMP 1.2 (stomp.github.io/stomp-specification-1.2.html) for @stomp/stompjs to
 * connect and subscribe: CONNECTED with the heart-beats, the broker's own heart-beats, RECEIPTs.
 */
export function serveStomp(socket: WebSocket, options: StompOptions = {}): void {
  const heartBeat = options.heartBeat ?? [10_000, 10_000];
  let beat: NodeJS.Timeout | undefined;
  socket.on('close', () => clearInterval(beat));
  let buffer = '';
  socket.on('message', (raw) => {
    buffer += rawText(raw);
    const end = buffer.lastIndexOf('\0');
    if (end < 0) {
      // A message of end-of-line characters only is a heart-beat.
      if (/^(\r?\n)+$/.test(buffer)) buffer = '';
      return;
    }
    const complete = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
    for (const text of complete.split('\0')) {
      const body = text.replace(/^(\r?\n)+/, '');
      if (body === '') continue;
      const [head] = body.split('\n\n');
      const [command, ...lines] = head!.split('\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
      if (command === 'CONNECT' || command === 'STOMP') {
        const cy = Number((headers['heart-beat'] ?? '0,0').split(',')[1]);
        socket.send(stompFrame('CONNECTED', { version: '1.2', 'heart-beat': heartBeat.join(','), server: 'test/1.0' }));
        const every = heartBeat[0] && cy ? Math.max(heartBeat[0], cy) : 0;
        clearInterval(beat);
        if (every) beat = setInterval(() => socket.send('\n'), every);
        options.onConnected?.();
      }
      if (headers.receipt) socket.send(stompFrame('RECEIPT', { 'receipt-id': headers.receipt }));
      if (command === 'DISCONNECT') socket.close();
    }
  });
}

/* MQTT 3.1.1 / 5 over WebSocket */

export interface MqttOptions {
  /** After CONNACK went out. */
  onConnected?(): void;
}

/**
 * Serve enough of MQTT (OASIS MQTT 3.1.1 and 5.0) over WebSocket for mqtt.js to connect and
 * subscribe, and to keep its connection alive: CONNACK, SUBACK (the granted QoS as asked),
 * PINGRESP, DISCONNECT closes. Packets are read and written with mqtt-packet, the codec mqtt.js uses.
 */
export function serveMqtt(socket: WebSocket, options: MqttOptions = {}): void {
  let protocolVersion: 3 | 4 | 5 = 4;
  const parser = mqttPacket.parser();
  const send = (packet: object) => socket.send(mqttPacket.generate(packet as never, { protocolVersion }));
  parser.on('packet', (packet: { cmd: string; protocolVersion?: 3 | 4 | 5; messageId?: number; subscriptions?: Array<{ qos: number }> }) => {
    if (packet.cmd === 'connect') {
      protocolVersion = packet.protocolVersion ?? 4;
      send(protocolVersion === 5 ? { cmd: 'connack', sessionPresent: false, reasonCode: 0 } : { cmd: 'connack', sessionPresent: false, returnCode: 0 });
      options.onConnected?.();
    } else if (packet.cmd === 'subscribe') {
      send({ cmd: 'suback', messageId: packet.messageId, granted: (packet.subscriptions ?? []).map((s) => s.qos) });
    } else if (packet.cmd === 'pingreq') {
      send({ cmd: 'pingresp' });
    } else if (packet.cmd === 'disconnect') {
      socket.close();
    }
  });
  socket.on('message', (raw) => parser.parse(Buffer.isBuffer(raw) ? raw : Buffer.concat(Array.isArray(raw) ? raw : [Buffer.from(raw)])));
}

/* subscriptions-transport-ws (Apollo's legacy protocol, subprotocol "graphql-ws") */

/** The legacy protocol's subprotocol (subscriptions-transport-ws 0.11 dist/protocol.js GRAPHQL_WS). */
export const SUBSCRIPTIONS_TRANSPORT_WS_PROTOCOL = 'graphql-ws';

export interface SubscriptionsTransportWsOptions {
  /** After connection_ack went out. */
  onConnected?(): void;
  /** Send `ka` right after the ack and then every this many ms (SubscriptionServer's keepAlive option; off by default). */
  keepAliveMs?: number;
}

/**
 * Serve enough of subscriptions-transport-ws's protocol (its PROTOCOL.md) for its SubscriptionClient
 * to connect and subscribe: connection_ack to connection_init, `complete` to stop, a close on
 * connection_terminate; `start` operations stay open, as a subscription with no events yet.
 */
export function serveSubscriptionsTransportWs(socket: WebSocket, options: SubscriptionsTransportWsOptions = {}): void {
  let keepAlive: NodeJS.Timeout | undefined;
  socket.on('close', () => clearInterval(keepAlive));
  const send = (message: object) => socket.send(JSON.stringify(message));
  socket.on('message', (raw) => {
    let message: { type?: string; id?: string };
    try {
      message = JSON.parse(rawText(raw)) as { type?: string; id?: string };
    } catch {
      send({ type: 'error', payload: { message: 'Message must be JSON-parseable.' } });
      return;
    }
    if (message.type === 'connection_init') {
      send({ type: 'connection_ack' });
      if (options.keepAliveMs) {
        send({ type: 'ka' });
        keepAlive = setInterval(() => send({ type: 'ka' }), options.keepAliveMs);
      }
      options.onConnected?.();
    } else if (message.type === 'stop') {
      send({ type: 'complete', id: message.id });
    } else if (message.type === 'connection_terminate') {
      socket.close();
    }
  });
}
