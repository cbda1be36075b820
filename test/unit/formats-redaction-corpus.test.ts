/**
 * Redaction corpus: credential placements from real client libraries (run in Node
 * against local servers, recorded as the page hooks would see them) and from the
 * documented request and response shapes of real APIs. Each placement is exported
 * with redaction on in every format the panel offers (capture JSON, HAR, report
 * JSON, report HTML: the panel's own exportText) and the secret must appear in
 * none of them, in any encoding (as is, percent-encoded, JSON-escaped, or inside
 * base64 at any alignment); the non-secret data named with it must survive, and
 * the analysis of the redacted capture must find the same channels. The CLI's
 * `analyze --redact` is run on all of them at once.
 */
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { createRequire } from 'node:module';
import { createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { SubscriptionClient, SubscriptionServer } from 'subscriptions-transport-ws';
import { Server as SocketIoServer } from 'socket.io';
import { io as socketIoClient } from 'socket.io-client';
import { Socket as PhoenixSocket } from 'phoenix';
import Pusher from 'pusher-js';
import { adapters, createConsumer } from '@rails/actioncable';
import { Client as StompClient } from '@stomp/stompjs';
import { Centrifuge } from 'centrifuge';
import type { CaptureEvent, HeaderList } from '../../src/core/events.ts';
import { analyzeCapture } from '../../src/core/index.ts';
import { parseCaptureFile, serializeCaptureFile } from '../../src/core/formats/index.ts';
import { createSseParser } from '../../src/core/sse-parser.ts';
import { decodeMessages } from '../../src/core/protocols/index.ts';
import { DEFAULT_MAX_TEXT_CHARS } from '../../src/shared/constants.ts';
import { exportText } from '../../src/panel/transfer.ts';
import type { ExportKind } from '../../src/panel/transfer-types.ts';
import { rawFromArgv, rawFromConfig, resolveOptions } from '../../src/cli/audit-args.ts';
import { recordingWebSocket, libVersion, sleep, startServer, until, rawText } from './protocol-real-harness.ts';
import { serveActionCable, selectActionCableProtocol, serveCentrifugo, servePhoenixChannels } from '../support/protocol-servers.ts';
import { startRecordingProxy } from '../support/ws-recording-proxy.ts';
import { runCli } from '../support/cli.ts';

interface Placement {
  /** Where the credential travels. */
  name: string;
  /** The library (and version) or the API documentation the shape comes from. */
  source: string;
  events: CaptureEvent[];
  /** Secrets that must not appear in any export. */
  secrets: string[];
  /** Non-secret strings that must survive in the capture JSON and the HAR. */
  kept: string[];
}

// --- Secrets that look like the real ones ---

const b64url = (s: string) => Buffer.from(s).toString('base64url');
/** A JWT (RFC 7519) with an HMAC signature, as identity providers issue them. */
function jwt(claims: Record<string, unknown>): string {
  const head = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${createHmac('sha256', 'corpus-key').update(head).digest('base64url')}`;
}

// --- Events as the page hooks emit them (src/content/page) ---

let pseq = 0;
let conns = 0;
const T0 = 1_767_000_000_000;
const at = () => ({ seq: ++pseq, pseq, t: T0 + pseq * 10, frameId: 0, doc: 'corpus' });
const nextConn = () => `corpus:${++conns}`;

function docStart(url: string, title = 'App'): CaptureEvent {
  return { ...at(), type: 'doc.start', url, title, top: true, parentDoc: null };
}

function textPayload(text: string): { size: number; encoding: 'text'; data: string; truncated: boolean } {
  const size = Buffer.byteLength(text);
  // The hooks keep at most the capture's cap of a body or message (DEFAULT_MAX_TEXT_CHARS), `size` stays whole.
  return { size, encoding: 'text', data: text.slice(0, DEFAULT_MAX_TEXT_CHARS), truncated: text.length > DEFAULT_MAX_TEXT_CHARS };
}

/** One fetch/XHR exchange: request, response, body. */
function exchange(opts: { url: string; method?: string; transport?: 'fetch' | 'xhr'; request?: HeaderList; status?: number; response?: HeaderList; contentType?: string; body?: string }): CaptureEvent[] {
  const conn = nextConn();
  const contentType = opts.contentType ?? 'application/json';
  const body = opts.body ?? '{}';
  return [
    { ...at(), conn, type: 'http.request', transport: opts.transport ?? 'fetch', method: opts.method ?? 'GET', url: opts.url, headers: opts.request ?? [], bodySize: null },
    { ...at(), conn, type: 'http.response', status: opts.status ?? 200, statusText: 'OK', headers: [['content-type', contentType], ...(opts.response ?? [])], url: opts.url, contentType },
    { ...at(), conn, type: 'http.end', size: Buffer.byteLength(body), bodyHash: null, body: textPayload(body) },
  ];
}

/** An SSE stream read through fetch, delivered in `chunks` (cut wherever the network cut it): chunks, parsed events, the body. */
function sseThroughFetch(url: string, chunks: string[], request: HeaderList = []): CaptureEvent[] {
  const conn = nextConn();
  const events: CaptureEvent[] = [
    { ...at(), conn, type: 'http.request', transport: 'fetch', method: 'GET', url, headers: request, bodySize: null },
    { ...at(), conn, type: 'http.response', status: 200, statusText: 'OK', headers: [['content-type', 'text/event-stream']], url, contentType: 'text/event-stream' },
    { ...at(), conn, type: 'sse.create', transport: 'fetch', url, withCredentials: false },
  ];
  const parser = createSseParser((e) => events.push({ ...at(), conn, type: 'sse.message', event: e.type, data: textPayload(e.data), id: e.id, lastEventId: e.lastEventId, retry: e.retry }));
  for (const chunk of chunks) {
    events.push({ ...at(), conn, type: 'http.chunk', size: Buffer.byteLength(chunk), preview: chunk });
    parser.push(chunk);
  }
  const body = chunks.join('');
  events.push({ ...at(), conn, type: 'http.end', size: Buffer.byteLength(body), bodyHash: null, body: textPayload(body) });
  return events;
}

/** A WebSocket session: create, open, frames (`>` out, `<` in), close. */
function socket(url: string, frames: string[], opts: { protocols?: string[]; protocol?: string; close?: [number, string] } = {}): CaptureEvent[] {
  const conn = nextConn();
  const events: CaptureEvent[] = [
    { ...at(), conn, type: 'ws.create', url, protocols: opts.protocols ?? [] },
    { ...at(), conn, type: 'ws.open', protocol: opts.protocol ?? '', extensions: '' },
  ];
  for (const f of frames) events.push({ ...at(), conn, type: 'ws.message', dir: f[0] === '>' ? 'out' : 'in', data: textPayload(f.slice(1)) });
  const [code, reason] = opts.close ?? [1000, ''];
  events.push({ ...at(), conn, type: 'ws.close', code, reason, wasClean: code === 1000, initiator: 'client' });
  return events;
}

const page = (url = 'https://app.example.test/dashboard') => docStart(url);

// --- Real libraries against local servers ---

/**
 * graphql-ws' server and subscriptions-transport-ws run on graphql's CommonJS build here (vitest externalises them):
 * their schemas must come from that same module ("Cannot use GraphQLSchema from another module or realm").
 */
const cjsGraphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const schema = cjsGraphql.buildSchema('type Query { hello: String } type Subscription { greetings: String }');
const roots = { query: { hello: () => 'world' }, subscription: { greetings: async function* () { yield { greetings: 'hi' }; } } };

async function httpServer() {
  const server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** graphql-ws: connection_init carries `connectionParams`; `withProtocolToken` also sends the token as a second subprotocol (Hasura-style). */
async function recordGraphqlWs(connectionParams: Record<string, unknown>, protocolToken?: string): Promise<CaptureEvent[]> {
  const { server, port, close } = await httpServer();
  const wss = new WebSocketServer({ server, path: '/v1/graphql', handleProtocols: (p) => (p.has('graphql-transport-ws') ? 'graphql-transport-ws' : false) });
  const cleanup = useServer({ schema, roots, onConnect: (ctx) => Boolean(ctx.connectionParams) }, wss);
  const events: CaptureEvent[] = [page()];
  const Recording = recordingWebSocket(events);
  // graphql-ws' own recipe for a custom WebSocket: a subclass that changes what the constructor gets.
  const extra = protocolToken === undefined ? [] : [protocolToken];
  const Impl = class extends Recording {
    constructor(url: string, protocols?: string | string[]) {
      super(url, [...[protocols ?? []].flat(), ...extra]);
    }
  };
  const client = createClient({ url: `ws://127.0.0.1:${port}/v1/graphql`, webSocketImpl: Impl, connectionParams, lazy: false, retryAttempts: 0 });
  await new Promise<void>((resolve, reject) => client.subscribe({ query: '{ hello }' }, { next: () => {}, error: reject, complete: resolve }));
  await client.dispose();
  await sleep(50);
  await cleanup.dispose();
  await close();
  return events;
}

async function recordSubscriptionsTransportWs(authToken: string): Promise<CaptureEvent[]> {
  const { server, port, close } = await httpServer();
  const { execute, subscribe } = cjsGraphql;
  const sts = SubscriptionServer.create({ schema, execute, subscribe, rootValue: roots.query, onConnect: (params: { authToken?: string }) => params.authToken === authToken }, { server, path: '/subscriptions' });
  const events: CaptureEvent[] = [page()];
  const client = new SubscriptionClient(`ws://127.0.0.1:${port}/subscriptions`, { reconnect: false, connectionParams: { authToken } }, recordingWebSocket(events));
  await new Promise<void>((resolve, reject) => client.request({ query: '{ hello }' }).subscribe({ next: () => {}, error: reject, complete: () => resolve() }));
  client.close();
  await sleep(50);
  sts.close();
  await close();
  return events;
}

async function recordSocketIo(authToken: string, queryToken: string): Promise<CaptureEvent[]> {
  const { server, port, close } = await httpServer();
  const io = new SocketIoServer(server);
  io.use((s, next) => next(s.handshake.auth.token === authToken ? undefined : new Error('unauthorized')));
  io.on('connection', (s) => s.emit('welcome', { room: 'lobby-42' }));
  const proxy = await startRecordingProxy(port, 'corpus');
  const client = socketIoClient(`http://127.0.0.1:${proxy.port}`, { transports: ['websocket'], auth: { token: authToken }, query: { token: queryToken }, reconnection: false });
  await new Promise<void>((resolve) => client.once('welcome', () => resolve()));
  client.disconnect();
  await sleep(50);
  await proxy.close();
  io.close();
  await close().catch(() => {});
  return [page(), ...proxy.events];
}

async function recordPhoenix(socketToken: string, joinToken: string): Promise<CaptureEvent[]> {
  const server = await startServer((ws) => servePhoenixChannels(ws, { onJoin: ([joinRef, , topic], s) => s.push(joinRef, topic, 'new_msg', { body: 'hello lobby' }) }));
  const events: CaptureEvent[] = [page()];
  const client = new PhoenixSocket(`ws://127.0.0.1:${server.port}/socket`, { transport: recordingWebSocket(events), params: { token: socketToken } });
  client.connect();
  const channel = client.channel('room:lobby', { token: joinToken });
  let received = false;
  channel.on('new_msg', () => {
    received = true;
  });
  channel.join();
  await until(() => received, 'phoenix push');
  client.disconnect();
  await sleep(50);
  await server.close();
  return events;
}

async function recordPusher(secret: string): Promise<CaptureEvent[]> {
  const server = await startServer((ws) => {
    const send = (event: string, data: unknown, channel?: string) => ws.send(JSON.stringify({ event, data: JSON.stringify(data), ...(channel ? { channel } : {}) }));
    send('pusher:connection_established', { socket_id: '1234.5678', activity_timeout: 120 });
    ws.on('message', (raw) => {
      const m = JSON.parse(rawText(raw)) as { event: string; data: { channel: string } };
      if (m.event === 'pusher:subscribe') send('pusher_internal:subscription_succeeded', {}, m.data.channel);
    });
  });
  const events: CaptureEvent[] = [page()];
  const runtime = Pusher.Runtime as unknown as { getWebSocketAPI: () => unknown };
  const original = runtime.getWebSocketAPI;
  runtime.getWebSocketAPI = () => recordingWebSocket(events);
  try {
    // The app's auth endpoint signs socket_id:channel with the app secret (Pusher Channels "Authorizing users"); the client sends key:signature.
    const pusher = new Pusher('app-key', {
      cluster: 'test', wsHost: '127.0.0.1', wsPort: server.port, forceTLS: false, enabledTransports: ['ws'], enableStats: false,
      channelAuthorization: {
        endpoint: '', transport: 'ajax',
        customHandler: (params, callback) => callback(null, { auth: `app-key:${createHmac('sha256', secret).update(`${params.socketId}:${params.channelName}`).digest('hex')}` }),
      },
    });
    const channel = pusher.subscribe('private-orders-7');
    let ok = false;
    channel.bind('pusher:subscription_succeeded', () => (ok = true));
    await until(() => ok, 'pusher private subscription');
    await sleep(50);
    pusher.disconnect();
    await sleep(50);
  } finally {
    runtime.getWebSocketAPI = original;
    await server.close();
  }
  return events;
}

async function recordActionCable(urlToken: string, identifierToken: string): Promise<CaptureEvent[]> {
  const server = await startServer((ws) => serveActionCable(ws, { pingMs: 60_000, onConfirmed: (identifier, s) => s.send({ identifier, message: { body: 'hello chat' } }) }), selectActionCableProtocol);
  const events: CaptureEvent[] = [page()];
  adapters.logger = { log() {} } as unknown as Console;
  adapters.WebSocket = recordingWebSocket(events) as unknown as typeof WebSocket;
  // ConnectionMonitor listens to the window's "visibilitychange" (connection_monitor.js); Node has no window.
  const globals = globalThis as unknown as Record<string, unknown>;
  const hadListener = 'addEventListener' in globalThis;
  if (!hadListener) Object.assign(globals, { addEventListener: () => {}, removeEventListener: () => {} });
  // Rails guides ("Action Cable Overview: Connection Authorization"): a token in the cable URL or in the subscription params.
  const consumer = createConsumer(`ws://127.0.0.1:${server.port}/cable?token=${urlToken}`);
  let received = false;
  consumer.subscriptions.create({ channel: 'ChatChannel', room: 'lobby', token: identifierToken }, { received: () => (received = true) });
  await until(() => received, 'actioncable broadcast');
  consumer.disconnect();
  await sleep(50);
  await server.close();
  if (!hadListener) {
    delete globals.addEventListener;
    delete globals.removeEventListener;
  }
  return events;
}

async function recordStomp(login: string, passcode: string): Promise<CaptureEvent[]> {
  const server = await startServer(
    (ws) =>
      ws.on('message', (raw) => {
        const text = rawText(raw);
        if (text.startsWith('CONNECT')) ws.send('CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:corpus/1.0\n\n\0');
        else if (text.startsWith('SUBSCRIBE')) ws.send('MESSAGE\ndestination:/topic/prices\nmessage-id:1\nsubscription:sub-0\n\n{"px":101}\0');
        // stompjs' deactivate() waits for the receipt of its DISCONNECT.
        const receipt = /\nreceipt:([^\n]*)/.exec(text);
        if (receipt) ws.send(`RECEIPT\nreceipt-id:${receipt[1]}\n\n\0`);
      }),
    (p) => (p.has('v12.stomp') ? 'v12.stomp' : false),
  );
  const events: CaptureEvent[] = [page()];
  const Recording = recordingWebSocket(events);
  let message = false;
  const client = new StompClient({
    webSocketFactory: () => new Recording(`ws://127.0.0.1:${server.port}/stomp`, ['v12.stomp']),
    connectHeaders: { login, passcode },
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    reconnectDelay: 0,
    onConnect: () => client.subscribe('/topic/prices', () => (message = true)),
  });
  client.activate();
  await until(() => message, 'stomp message');
  await client.deactivate();
  await sleep(50);
  await server.close();
  return events;
}

async function recordMqtt(username: string, password: string): Promise<CaptureEvent[]> {
  const broker = await Aedes.createBroker({ authenticate: (_client, user, pass, done) => done(null, user === username && pass?.toString() === password) });
  const { server, port, close } = await httpServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
  const proxy = await startRecordingProxy(port, 'corpus');
  const client = await mqtt.connectAsync(`ws://127.0.0.1:${proxy.port}/mqtt`, { clientId: 'sensor-gateway-3', username, password, protocolVersion: 4, reconnectPeriod: 0 });
  await client.publishAsync('plant/line-4/temperature', '21.5', { qos: 1 });
  await client.endAsync();
  await sleep(50);
  await proxy.close();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  wss.close();
  await close();
  return [page(), ...proxy.events];
}

async function recordCentrifuge(token: string): Promise<CaptureEvent[]> {
  const server = await startServer((ws) => serveCentrifugo(ws, { pingSeconds: 60 }));
  const events: CaptureEvent[] = [page()];
  const client = new Centrifuge(`ws://127.0.0.1:${server.port}/connection/websocket`, { websocket: recordingWebSocket(events), token, minReconnectDelay: 60_000 });
  let connected = false;
  client.on('connected', () => (connected = true));
  client.connect();
  await until(() => connected, 'centrifuge connect');
  client.disconnect();
  await sleep(50);
  await server.close();
  return events;
}

// --- The corpus ---

const S = {
  github: 'ghp_R7mQ2xK9vL4pT8nW3zY6bC1dF5hJ0sA2eG4i',
  basicPassword: 'hunter2-Basic-9xQ',
  railsSession: 'BAh7CEkiD3Nlc3Npb25faWQGOgZFVEkiRTM3YjE4ZGQ3',
  expressSid: 's%3AwGq3Zr9tN2vK8mP1xY4.Hq7Lw2Xe9Tz5Rb3Nc8Vm1',
  apiGatewayKey: 'AGk3v9ZqP2rT7wX5mN8bY1cL4dF6hJ0sQ2eR5tU8',
  hasuraAdmin: 'hasura-admin-Secret-4Kp9Zt2',
  graphFb: 'EAACEdEose0cBAJ3kZCv9pQw2LmZC8xYz1',
  googleKey: 'AIzaSyD3xQ9mK2pL7vN4bT8wZ1cR5yH6jF0sGe2',
  amzSignature: '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
  amzSecurityToken: 'IQoJb3JpZ2luX2VjEJr2Zk9tX1vQ8sL4nM7pW3yZ6',
  azureSig: 'Wq3Zt9Xy2Lm8Kp4Nv7Bc1Df5Hj0Sa6Eg2Ri4Tu8Y%3D',
  implicitToken: 'ya29.a0AfB_implicit_Kx9Qz2Lm7Vp4Nt8Wy3',
  userInfoPassword: 'reg1stry-P4ss-Zq8',
  wsUserInfoPassword: 'w5-us3r-P4ss-Kt3',
  oauthCode: '4/0AeaYSHBq9Zx2Lm7Kp3Vt8Nw1Yc5',
  slack: 'xoxb-2846392748-4827392738475-Zq9Xm2Lk7Vp4Nt8Wy3Bc1D',
  mercure: jwt({ mercure: { subscribe: ['https://example.test/books/{id}'] }, sub: 'mercure-reader' }),
  supabaseAnon: jwt({ iss: 'supabase', ref: 'abcdefghijkl', role: 'anon' }),
  supabaseUser: jwt({ sub: 'user-8c2f', role: 'authenticated', aud: 'authenticated' }),
  appsync: 'da2-q9zx2lm7kp3vt8nw1yc5bd4fh6',
  ablyKeySecret: 'Zq9Xm2Lk7Vp4Nt8Wy3Bc1DfG',
  googleAccess: 'ya29.a0AfB_byC9Qx2Lm7Kp3Vt8Nw1Yc5Bd4Fh6Jk0Ls2',
  googleRefresh: '1//0gZq9Xm2Lk7Vp4CgYIARAAGBASNwF-L9Ir',
  googleId: jwt({ iss: 'https://accounts.google.com', sub: '110169484474386276334', email: 'ada@example.test' }),
  githubOauth: 'gho_16C7e42F292c6912E7710c838347Ae178B4a',
  githubRefresh: 'ghr_1B4a2e77838347a7E420ce178F2E7c6912E1',
  truncatedCut: 'tr4nc-cut-Zq9Xm2Lk7Vp4Nt8Wy3Bc1DfG6hJ0',
  truncatedWhole: 'tr4nc-whole-Kp3Vt8Nw1Yc5Bd4Fh6',
  arrayOne: 'arr4y-one-Zq9Xm2Lk7Vp',
  arrayTwo: 'arr4y-two-Nt8Wy3Bc1Df',
  lambdaSession: 'lambda-Sess10n-Zq9Xm2Lk7Vp4Nt8',
  sseToken: 'sse-t0ken-Zq9Xm2Lk7Vp4Nt8Wy3Bc1Df',
  sseSplit: 'sse-spl1t-Kp3Vt8Nw1Yc5Bd4Fh6Jk0Ls2',
  firebase: jwt({ iss: 'https://securetoken.google.com/proj', sub: 'uid-77', auth_time: 1767000000 }),
  k8s: b64url('k8s-bearer-Zq9Xm2Lk7Vp4Nt8Wy3Bc1Df'),
  echo: 'ech0-t0ken-Kp3Vt8Nw1Yc5Bd4Fh6',
  closeReason: 'cl0se-t0ken-Zq9Xm2Lk7Vp4',
  gqlAuth: 'gql-auth-7Qx93LmZp2Kv8Nt4',
  hasuraJwt: jwt({ 'https://hasura.io/jwt/claims': { 'x-hasura-allowed-roles': ['user'], 'x-hasura-default-role': 'user' }, sub: 'u-1' }),
  hasuraSecret: 'hasura-ws-Secret-9Zt2Kp4',
  protocolToken: jwt({ sub: 'ws-subprotocol-user', scope: 'subscribe' }),
  stsAuth: 'sts-auth-Zq9Xm2Lk7Vp4Nt8',
  socketIoAuth: 'sio-auth-Kp3Vt8Nw1Yc5Bd4',
  socketIoQuery: 'sio-query-Zq9Xm2Lk7Vp4Nt8',
  phoenixSocket: 'phx-socket-Kp3Vt8Nw1Yc5Bd4',
  phoenixJoin: 'phx-join-Zq9Xm2Lk7Vp4Nt8',
  pusherSecret: 'pusher-app-secret-7Qx93',
  cableUrl: 'cable-url-Kp3Vt8Nw1Yc5Bd4',
  cableIdentifier: 'cable-ident-Zq9Xm2Lk7Vp4',
  stompLogin: 'svc-trading-desk-07',
  stompPasscode: 'st0mp-Passc0de-Kp3Vt8',
  mqttUser: 'gateway-user-4411',
  mqttPassword: 'mqtt-Passw0rd-Zq9Xm2Lk',
  centrifugo: jwt({ sub: 'centrifugo-user-42', channels: ['news'] }),
  signalr: 'signalr-access-Kp3Vt8Nw1Yc5Bd4Fh6',
};

async function buildCorpus(): Promise<Placement[]> {
  const gql = await recordGraphqlWs({ authToken: S.gqlAuth });
  const hasuraHeaders = await recordGraphqlWs({ headers: { Authorization: `Bearer ${S.hasuraJwt}`, 'x-hasura-admin-secret': S.hasuraSecret } });
  const gqlProtocol = await recordGraphqlWs({}, S.protocolToken);
  const sts = await recordSubscriptionsTransportWs(S.stsAuth);
  const sio = await recordSocketIo(S.socketIoAuth, S.socketIoQuery);
  const phx = await recordPhoenix(S.phoenixSocket, S.phoenixJoin);
  const pusher = await recordPusher(S.pusherSecret);
  const pusherSignature = (() => {
    const sub = pusher.find((e) => e.type === 'ws.message' && e.dir === 'out' && e.data.data.includes('pusher:subscribe'));
    return (JSON.parse((sub as { data: { data: string } }).data.data) as { data: { auth: string } }).data.auth.split(':')[1]!;
  })();
  const cable = await recordActionCable(S.cableUrl, S.cableIdentifier);
  const stomp = await recordStomp(S.stompLogin, S.stompPasscode);
  const mqttSession = await recordMqtt(S.mqttUser, S.mqttPassword);
  const centrifuge = await recordCentrifuge(S.centrifugo);
  const lib = (name: string) => `${name} ${libVersion(name)} (real client against a local server)`;

  const bigList = JSON.stringify({ items: Array.from({ length: 900 }, (_, i) => ({ id: i, name: `item ${i}` })) });
  return [
    // Headers
    { name: 'Authorization: Bearer header', source: 'GitHub REST API (docs.github.com, "Authenticating to the REST API")', events: [page(), ...exchange({ url: 'https://api.github.example.test/user/repos', request: [['authorization', `Bearer ${S.github}`], ['accept', 'application/vnd.github+json']] })], secrets: [S.github], kept: ['application/vnd.github+json', '/user/repos'] },
    { name: 'Authorization: Basic header', source: 'HTTP Basic (RFC 7617), e.g. a Docker registry', events: [page(), ...exchange({ url: 'https://registry.example.test/v2/_catalog', request: [['authorization', `Basic ${Buffer.from(`deploy:${S.basicPassword}`).toString('base64')}`]] })], secrets: [S.basicPassword, Buffer.from(`deploy:${S.basicPassword}`).toString('base64')], kept: ['/v2/_catalog'] },
    { name: 'Cookie request header', source: 'Rails cookie store session', events: [page(), ...exchange({ url: 'https://app.example.test/api/me', transport: 'xhr', request: [['cookie', `_app_session=${S.railsSession}; theme=dark`]] })], secrets: [S.railsSession], kept: ['/api/me'] },
    { name: 'Set-Cookie response header', source: 'express-session (connect.sid)', events: [page(), ...exchange({ url: 'https://app.example.test/login', method: 'POST', response: [['set-cookie', `connect.sid=${S.expressSid}; Path=/; HttpOnly`]] })], secrets: [S.expressSid, decodeURIComponent(S.expressSid)], kept: ['/login'] },
    { name: 'X-Api-Key header', source: 'Amazon API Gateway API keys (x-api-key)', events: [page(), ...exchange({ url: 'https://abc123.execute-api.example.test/prod/orders', request: [['x-api-key', S.apiGatewayKey]] })], secrets: [S.apiGatewayKey], kept: ['/prod/orders'] },
    { name: 'X-Hasura-Admin-Secret header', source: 'Hasura GraphQL Engine over HTTP', events: [page(), ...exchange({ url: 'https://hasura.example.test/v1/graphql', method: 'POST', request: [['x-hasura-admin-secret', S.hasuraAdmin], ['content-type', 'application/json']], body: '{"data":{"orders":[]}}' })], secrets: [S.hasuraAdmin], kept: ['"orders"'] },
    { name: 'Location header of an OAuth redirect', source: 'OAuth 2.0 authorization response (RFC 6749 §4.1.2)', events: [page(), ...exchange({ url: 'https://auth.example.test/authorize', status: 302, response: [['location', `https://app.example.test/callback?code=${encodeURIComponent(S.oauthCode)}&state=af0ifjsldkj`]] })], secrets: [S.oauthCode], kept: ['af0ifjsldkj', '/callback'] },
    // URLs
    { name: 'access_token query parameter', source: 'Facebook Graph API', events: [page(), ...exchange({ url: `https://graph.example.test/v19.0/me?fields=id,name&access_token=${S.graphFb}` })], secrets: [S.graphFb], kept: ['fields=id,name'] },
    { name: 'key query parameter (Google API key)', source: 'Google Maps / YouTube Data API', events: [page(), ...exchange({ url: `https://maps.example.test/maps/api/geocode/json?address=Paris&key=${S.googleKey}` })], secrets: [S.googleKey], kept: ['address=Paris'] },
    { name: 'S3 presigned URL (SigV4)', source: 'Amazon S3 presigned URLs (X-Amz-Credential, X-Amz-Security-Token, X-Amz-Signature)', events: [page(), ...exchange({ url: `https://bucket.s3.example.test/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAQ3EGRZ7EXAMPLE7Q%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=${S.amzSecurityToken}&X-Amz-SignedHeaders=host&X-Amz-Signature=${S.amzSignature}`, contentType: 'application/pdf' })], secrets: [S.amzSignature, S.amzSecurityToken, 'ASIAQ3EGRZ7EXAMPLE7Q'], kept: ['X-Amz-Expires=900', 'report.pdf'] },
    { name: 'Azure SAS sig parameter', source: 'Azure Storage shared access signatures', events: [page(), ...exchange({ url: `https://acct.blob.example.test/c/photo.jpg?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01T00:00:00Z&sig=${S.azureSig}`, contentType: 'image/jpeg' })], secrets: [S.azureSig, decodeURIComponent(S.azureSig)], kept: ['sv=2022-11-02', 'photo.jpg'] },
    { name: 'URL fragment of the page (OAuth implicit grant)', source: 'OAuth 2.0 implicit grant redirect (RFC 6749 §4.2.2)', events: [docStart(`https://app.example.test/callback#access_token=${S.implicitToken}&token_type=Bearer&expires_in=3599`), ...exchange({ url: 'https://app.example.test/api/feed' })], secrets: [S.implicitToken], kept: ['expires_in=3599', '/api/feed'] },
    { name: 'Page URL with an OAuth code', source: 'OAuth 2.0 authorization code redirect (RFC 6749 §4.1.2)', events: [docStart(`https://app.example.test/callback?code=${encodeURIComponent(S.oauthCode)}&state=xyzABC123`), ...exchange({ url: 'https://app.example.test/api/session' })], secrets: [S.oauthCode], kept: ['state=xyzABC123'] },
    { name: 'User-info in an XHR URL', source: 'XMLHttpRequest with credentials in the URL (a private registry)', events: [page(), ...exchange({ url: `https://deploy:${S.userInfoPassword}@registry.example.test/v2/app/tags/list`, transport: 'xhr' })], secrets: [S.userInfoPassword], kept: ['/v2/app/tags/list'] },
    { name: 'User-info in a WebSocket URL', source: 'WebSocket with credentials in the URL', events: [page(), ...socket(`wss://ops:${S.wsUserInfoPassword}@metrics.example.test/live`, ['<{"cpu":0.42}'])], secrets: [S.wsUserInfoPassword], kept: ['metrics.example.test', '"cpu"'] },
    { name: 'Slack token query parameter', source: 'Slack Web API (token as a query parameter)', events: [page(), ...exchange({ url: `https://slack.example.test/api/rtm.connect?token=${S.slack}&batch_presence_aware=1` })], secrets: [S.slack], kept: ['batch_presence_aware=1'] },
    { name: 'Mercure subscriber JWT in the EventSource URL', source: 'Mercure hub ("authorization" query parameter)', events: [page(), ...sseThroughFetch(`https://hub.example.test/.well-known/mercure?topic=https%3A%2F%2Fexample.test%2Fbooks%2F1&authorization=${S.mercure}`, ['data: {"title":"Dune"}\n\n'])], secrets: [S.mercure], kept: ['Dune', 'topic='] },
    { name: 'Supabase Realtime apikey and join access_token', source: 'Supabase Realtime (Phoenix channels; apikey in the URL, access_token in phx_join)', events: [page(), ...socket(`wss://abcdefghijkl.supabase.example.test/realtime/v1/websocket?apikey=${S.supabaseAnon}&vsn=1.0.0`, [`>{"topic":"realtime:public:orders","event":"phx_join","payload":{"config":{"broadcast":{"self":false}},"access_token":"${S.supabaseUser}"},"ref":"1","join_ref":"1"}`, '<{"topic":"realtime:public:orders","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"}'])], secrets: [S.supabaseAnon, S.supabaseUser], kept: ['realtime:public:orders', 'vsn=1.0.0'] },
    { name: 'AppSync realtime header= (base64 JSON) and start authorization', source: 'AWS AppSync real-time WebSocket client (header/payload query, extensions.authorization)', events: [page(), ...socket(`wss://api.appsync-realtime-api.example.test/graphql?header=${Buffer.from(JSON.stringify({ host: 'api.appsync-api.example.test', 'x-api-key': S.appsync })).toString('base64')}&payload=e30=`, ['>{"type":"connection_init"}', '<{"type":"connection_ack","payload":{"connectionTimeoutMs":300000}}', `>{"id":"sub-1","payload":{"data":"{\\"query\\":\\"subscription { onOrder { id } }\\"}","extensions":{"authorization":{"host":"api.appsync-api.example.test","x-api-key":"${S.appsync}"}}},"type":"start"}`], { protocols: ['graphql-ws'], protocol: 'graphql-ws' })], secrets: [S.appsync], kept: ['connectionTimeoutMs', 'onOrder', 'payload=e30='] },
    { name: 'Ably API key in the URL', source: 'Ably realtime (key=appId.keyId:keySecret)', events: [page(), ...socket(`wss://realtime.ably.example.test/?key=xVLyHw.DQrNxQ%3A${S.ablyKeySecret}&format=json&v=2`, ['<{"action":4,"connectionId":"c1"}'])], secrets: [S.ablyKeySecret], kept: ['format=json'] },
    // Bodies
    { name: 'OAuth token response (JSON)', source: 'Google OAuth 2.0 token endpoint response', events: [page(), ...exchange({ url: 'https://oauth2.example.test/token', method: 'POST', body: JSON.stringify({ access_token: S.googleAccess, expires_in: 3599, refresh_token: S.googleRefresh, scope: 'openid email', token_type: 'Bearer', id_token: S.googleId }) })], secrets: [S.googleAccess, S.googleRefresh, S.googleId], kept: ['openid email', '3599'] },
    { name: 'OAuth token response (form-encoded)', source: 'GitHub OAuth app token exchange (application/x-www-form-urlencoded by default)', events: [page(), ...exchange({ url: 'https://github.example.test/login/oauth/access_token', method: 'POST', contentType: 'application/x-www-form-urlencoded', body: `access_token=${S.githubOauth}&expires_in=28800&refresh_token=${S.githubRefresh}&refresh_token_expires_in=15897600&scope=repo&token_type=bearer` })], secrets: [S.githubOauth, S.githubRefresh], kept: ['refresh_token_expires_in=15897600', 'scope=repo'] },
    { name: 'JSON body cut at the capture cap inside a token', source: 'a large API response, truncated by the hooks at DEFAULT_MAX_TEXT_CHARS', events: [page(), ...exchange({ url: 'https://api.example.test/v1/bootstrap', body: `${bigList.slice(0, DEFAULT_MAX_TEXT_CHARS - 50)}","session":{"access_token":"${S.truncatedCut}"}}` })], secrets: [S.truncatedCut.slice(0, 20)], kept: ['"item 1"'] },
    { name: 'JSON body cut at the capture cap after a token', source: 'a large API response, truncated by the hooks at DEFAULT_MAX_TEXT_CHARS', events: [page(), ...exchange({ url: 'https://api.example.test/v1/session', body: `{"session":{"refresh_token":"${S.truncatedWhole}"},${bigList.slice(1)}` })], secrets: [S.truncatedWhole], kept: ['"item 2"'] },
    { name: 'Credential whose value is an array', source: 'a JSON API listing tokens ({"tokens":[...]})', events: [page(), ...exchange({ url: 'https://api.example.test/v1/devices', body: JSON.stringify({ device: 'pixel-8', tokens: [S.arrayOne, S.arrayTwo] }) })], secrets: [S.arrayOne, S.arrayTwo], kept: ['pixel-8'] },
    { name: 'JSON encoded inside a JSON string', source: 'AWS Lambda proxy integration response (body is a JSON string)', events: [page(), ...exchange({ url: 'https://fn.example.test/prod/login', method: 'POST', body: JSON.stringify({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ada', sessionToken: S.lambdaSession }) }) })], secrets: [S.lambdaSession], kept: ['statusCode', 'ada'] },
    { name: 'SSE read through fetch with a token in data', source: 'fetch-event-source style stream (text/event-stream over fetch)', events: [page(), ...sseThroughFetch('https://api.example.test/stream', [`event: auth\ndata: {"access_token":"${S.sseToken}","ttl":900}\n\n`, 'data: {"tick":1}\n\n'])], secrets: [S.sseToken], kept: ['"ttl":900', '"tick":1'] },
    { name: 'SSE through fetch, token split across chunks', source: 'the network cuts a stream anywhere: a token in two http.chunk events', events: [page(), ...sseThroughFetch('https://api.example.test/stream2', [`data: {"refresh_token":"${S.sseSplit.slice(0, 14)}`, `${S.sseSplit.slice(14)}","n":1}\n\n`])], secrets: [S.sseSplit, S.sseSplit.slice(0, 14), S.sseSplit.slice(14)], kept: ['"n":1'] },
    // WebSocket payloads: real libraries
    { name: 'graphql-ws connection_init connectionParams', source: lib('graphql-ws'), events: gql, secrets: [S.gqlAuth], kept: ['connection_init', 'connection_ack', 'world'] },
    { name: 'graphql-ws connection_init headers (Hasura style)', source: lib('graphql-ws'), events: hasuraHeaders, secrets: [S.hasuraJwt, S.hasuraSecret], kept: ['connection_init', 'world'] },
    { name: 'Token sent as a WebSocket subprotocol', source: `${lib('graphql-ws')}; Hasura-style ['graphql-transport-ws', '<token>']`, events: gqlProtocol, secrets: [S.protocolToken], kept: ['graphql-transport-ws', 'world'] },
    { name: 'subscriptions-transport-ws connectionParams', source: lib('subscriptions-transport-ws'), events: sts, secrets: [S.stsAuth], kept: ['connection_init', 'world'] },
    { name: 'socket.io auth payload', source: lib('socket.io-client'), events: sio, secrets: [S.socketIoAuth], kept: ['lobby-42', 'EIO=4'] },
    { name: 'socket.io query token', source: lib('socket.io-client'), events: sio, secrets: [S.socketIoQuery], kept: ['transport=websocket'] },
    { name: 'Phoenix socket params (URL)', source: lib('phoenix'), events: phx, secrets: [S.phoenixSocket], kept: ['vsn=2.0.0'] },
    { name: 'Phoenix channel join params', source: lib('phoenix'), events: phx, secrets: [S.phoenixJoin], kept: ['room:lobby', 'hello lobby'] },
    { name: 'Pusher private channel auth signature', source: lib('pusher-js'), events: pusher, secrets: [pusherSignature], kept: ['private-orders-7', 'pusher:subscribe'] },
    { name: 'ActionCable token in the cable URL', source: lib('@rails/actioncable'), events: cable, secrets: [S.cableUrl], kept: ['/cable'] },
    { name: 'ActionCable identifier (JSON in a string)', source: lib('@rails/actioncable'), events: cable, secrets: [S.cableIdentifier], kept: ['ChatChannel', 'hello chat'] },
    { name: 'STOMP CONNECT login and passcode', source: lib('@stomp/stompjs'), events: stomp, secrets: [S.stompLogin, S.stompPasscode], kept: ['accept-version', '/topic/prices', '"px":101'] },
    { name: 'MQTT CONNECT user name and password (binary)', source: `${lib('mqtt')}, aedes ${libVersion('aedes')} broker`, events: mqttSession, secrets: [S.mqttUser, S.mqttPassword], kept: ['/mqtt'] },
    { name: 'Centrifugo connect token', source: lib('centrifuge'), events: centrifuge, secrets: [S.centrifugo], kept: ['"connect"', 'c0ffee'] },
    {
      name: 'SignalR access_token in the WebSocket URL',
      // In Node the client sends the token as a header instead (Platform.isNode), which a page never does.
      source: `@microsoft/signalr ${libVersion('@microsoft/signalr')} src/WebSocketTransport.ts: in a browser, access_token in the query string`,
      events: [page(), ...socket(`wss://app.example.test/chathub?id=Zq9Xm2&access_token=${encodeURIComponent(S.signalr)}`, ['>{"protocol":"json","version":1}\x1e', '<{}\x1e', '<{"type":1,"target":"ReceiveMessage","arguments":["hub","hello hub"]}\x1e'])],
      secrets: [S.signalr],
      kept: ['/chathub', 'hello hub', 'id=Zq9Xm2'],
    },
    // WebSocket payloads: documented frames
    { name: 'Firebase Realtime Database auth (cred)', source: 'firebase-js-sdk PersistentConnection auth request {"t":"d","d":{"a":"auth","b":{"cred":…}}}', events: [page(), ...socket('wss://proj-default-rtdb.firebaseio.example.test/.ws?v=5&ns=proj-default-rtdb', [`>{"t":"d","d":{"r":2,"a":"auth","b":{"cred":"${S.firebase}"}}}`, '<{"t":"d","d":{"r":2,"b":{"s":"ok","d":{"auth":{"uid":"uid-77"},"expires":1767003600}}}}'])], secrets: [S.firebase], kept: ['proj-default-rtdb', '"s":"ok"', '1767003600'] },
    { name: 'Kubernetes bearer token subprotocol', source: 'Kubernetes API server WebSocket auth (base64url.bearer.authorization.k8s.io.<token>)', events: [page(), ...socket('wss://k8s.example.test/api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true', ['<AWhlbGxv'], { protocols: ['v4.channel.k8s.io', `base64url.bearer.authorization.k8s.io.${S.k8s}`], protocol: 'v4.channel.k8s.io' })], secrets: [S.k8s], kept: ['v4.channel.k8s.io', 'pods/web-0'] },
    { name: 'Token echoed by the server in free text', source: 'a server welcome message that repeats the token it was given', events: [page(), ...socket('wss://chat.example.test/ws', [`>{"type":"hello","token":"${S.echo}"}`, `<{"type":"welcome","message":"authenticated with ${S.echo} as ada"}`])], secrets: [S.echo], kept: ['welcome', 'as ada'] },
    { name: 'Token in a close reason', source: 'a server that closes with the rejected token in the reason', events: [page(), ...socket('wss://chat.example.test/ws2', [`>{"type":"auth","access_token":"${S.closeReason}"}`], { close: [4401, `invalid token ${S.closeReason}`] })], secrets: [S.closeReason], kept: ['invalid token', '"auth"'] },
  ];
}

const corpus = await buildCorpus();

// --- Leak detection ---

/** The forms a secret can take in an export: as is, percent-encoded, JSON-escaped (twice), or inside base64 at any byte alignment. */
function forms(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), JSON.stringify(JSON.stringify(secret)).slice(1, -1)]);
  const bytes = Buffer.from(secret);
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), bytes]);
    for (const enc of ['base64', 'base64url'] as const) {
      // The characters that depend only on the secret's bytes: after the group holding the shift, before the last group.
      const core = padded.toString(enc).slice(shift ? 4 : 0, -4);
      if (core.length >= 6) out.add(core);
    }
  }
  return [...out];
}

function leaks(output: string, secret: string): string[] {
  return forms(secret).filter((f) => output.includes(f));
}

const KINDS: ExportKind[] = ['capture-json', 'capture-har', 'report-json', 'report-html'];

describe('redaction corpus', () => {
  it(`has at least 35 placements, each secret present in the unredacted capture`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(35);
    for (const p of corpus) {
      const raw = exportText('capture-json', p.events, analyzeCapture(p.events), false).text;
      for (const secret of p.secrets) expect(leaks(raw, secret), `${p.name}: ${secret} in the unredacted capture`).not.toEqual([]);
    }
  });

  describe.each(corpus.map((p) => [p.name, p] as const))('%s', (_name, p) => {
    const report = analyzeCapture(p.events);
    it.each(KINDS)(`no secret in the redacted %s export (${p.source})`, (kind) => {
      const { text } = exportText(kind, p.events, report, true);
      for (const secret of p.secrets) expect(leaks(text, secret), secret).toEqual([]);
      // Kept as written, or JSON-escaped where the export holds it inside a JSON string.
      if (kind === 'capture-json' || kind === 'capture-har') for (const keep of p.kept) expect([keep, JSON.stringify(keep).slice(1, -1)].some((f) => text.includes(f)), keep).toBe(true);
      if (kind === 'report-json') {
        const redacted = JSON.parse(text) as typeof report;
        // The same analysis, less the credentials: channels, kinds, protocols and counts are unchanged.
        expect(redacted.channels.map((c) => [c.kind, c.transport, c.protocol, c.requests, c.messages])).toEqual(report.channels.map((c) => [c.kind, c.transport, c.protocol, c.requests, c.messages]));
        expect(redacted.summary).toEqual(report.summary);
      }
    });

    it('analysing the redacted capture finds the same channels', () => {
      const { text } = exportText('capture-json', p.events, report, true);
      const again = analyzeCapture(parseCaptureFile(text).events);
      expect(again.channels.map((c) => [c.kind, c.transport, c.protocol, c.messages])).toEqual(report.channels.map((c) => [c.kind, c.transport, c.protocol, c.messages]));
    });
  });

  it('MQTT CONNECT: the redacted packet still decodes, with its client id and keep-alive, at its size', () => {
    const p = corpus.find((x) => x.name.startsWith('MQTT CONNECT'))!;
    const redacted = parseCaptureFile(exportText('capture-json', p.events, analyzeCapture(p.events), true).text).events;
    // mqtt.js over a Node stream writes the CONNECT in pieces (one frame per write): the frames before the broker's CONNACK.
    const connectBytes = (events: readonly CaptureEvent[]) => {
      const firstIn = events.findIndex((e) => e.type === 'ws.message' && e.dir === 'in');
      const out = events.slice(0, firstIn).filter((e): e is Extract<CaptureEvent, { type: 'ws.message' }> => e.type === 'ws.message' && e.dir === 'out');
      return Buffer.concat(out.map((e) => Buffer.from(e.data.data, 'base64')));
    };
    const before = connectBytes(p.events);
    const after = connectBytes(redacted);
    expect(after.length).toBe(before.length);
    expect(after.equals(before)).toBe(false);
    const [connect] = decodeMessages('mqtt', [{ dir: 'out', data: { size: after.length, encoding: 'binary', data: after.toString('base64'), truncated: false } }]);
    expect(connect!.label).toBe('mqtt CONNECT v3.1.1 keepalive=60s client=sensor-gateway-3');
  });
});

describe('redaction in the CLI', { timeout: 180_000 }, () => {
  const run = runCli;


  it('analyze --redact: no secret of the corpus in the summary, the report JSON or the HTML report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ri-redact-'));
    try {
      // Every placement in one unredacted capture file; the page URL carries a token too.
      const events = corpus.flatMap((p) => p.events);
      const file = join(dir, 'all.capture.json');
      const pageUrl = `https://app.example.test/callback#access_token=${S.implicitToken}`;
      await writeFile(file, serializeCaptureFile(events, { url: pageUrl, title: 'Corpus' }, { redact: false }));
      const html = join(dir, 'report.html');
      const json = await run(['analyze', file, '--redact', '--json', '--html', html]);
      expect(json.stderr).toBe('');
      expect(json.code).toBe(0);
      const summary = await run(['analyze', file, '--redact']);
      expect(summary.code).toBe(0);
      const htmlText = await readFile(html, 'utf8');
      for (const p of corpus) {
        for (const secret of p.secrets) {
          for (const [what, out] of [['JSON', json.stdout], ['summary', summary.stdout], ['HTML', htmlText]] as const) expect(leaks(out, secret), `${p.name} in the ${what}`).toEqual([]);
        }
      }
      expect(JSON.parse(json.stdout)).toHaveProperty('channels');
      // Without --redact the report does carry the page's token: the flag is what removes it.
      const plain = await run(['analyze', file, '--json']);
      expect(plain.stdout).toContain(S.graphFb);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('audit takes --redact on the command line and "redact": true in a config file', () => {
    expect(resolveOptions(rawFromArgv(['http://x.test/', '--redact']).raw).redact).toBe(true);
    expect(resolveOptions(rawFromArgv(['http://x.test/']).raw).redact).toBe(false);
    expect(resolveOptions(rawFromArgv(['http://x.test/']).raw, rawFromConfig({ redact: true }, 'c.json')).redact).toBe(true);
    expect(() => rawFromConfig({ redact: 'yes' }, 'c.json')).toThrow(/"redact" must be true or false/);
  });
});
