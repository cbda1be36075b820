/**
 * The real ddp.js client (2.2.1) against a local server speaking DDP 1 as
 * meteor/packages/ddp/DDP.md specifies it and Meteor's ddp-server writes it
 * (connect → connected or failed, sub → added… ready, method → result and
 * updated, unsub → nosub, pings on ddp-common's Heartbeat schedule, answered
 * by the client's pongs); the analysis core must recognise and label it and
 * read the server's heartbeat.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket as WsSocket } from 'ws';
import type { CaptureEvent } from '../../src/core/events.ts';
import { DDP_TIMINGS } from '../../src/core/protocols/ddp.ts';
import { analyse, fallbacks, framesOnly, libSource, libVersion, rawText, recordingWebSocket, sleep, startServer, until, type TestServer } from './protocol-real-harness.ts';

// ddp.js ships no types: the slice of its API used here (src/ddp.js).
interface DdpClient {
  status: string;
  on(event: string, listener: (message: Record<string, unknown>) => void): void;
  sub(name: string, params: unknown[]): string;
  unsub(id: string): string;
  method(name: string, params: unknown[]): string;
  disconnect(): void;
}
interface DdpOptions {
  endpoint: string;
  SocketConstructor: unknown;
  autoReconnect?: boolean;
}
const require = createRequire(import.meta.url);
const DDP = (require('ddp.js') as { default: new (options: DdpOptions) => DdpClient }).default;

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** What the server saw and did. */
interface Session {
  connects: Array<Record<string, unknown>>;
  pingsSent: number;
  pongs: Array<Record<string, unknown>>;
  methods: string[];
}

/**
 * meteor packages/ddp-common/heartbeat.js, as ddp-server runs it (livedata_server.js Session):
 * every `intervalMs` a tick pings only when no client message arrived since the previous tick,
 * and closes when the ping is not answered within `timeoutMs`.
 */
function heartbeat(socket: WsSocket, intervalMs: number, timeoutMs: number, session: Session) {
  let seenPacket = false;
  let timeout: NodeJS.Timeout | null = null;
  const tick = setInterval(() => {
    if (!seenPacket && !timeout) {
      socket.send(JSON.stringify({ msg: 'ping' }));
      session.pingsSent++;
      timeout = setTimeout(() => socket.close(), timeoutMs);
    }
    seenPacket = false;
  }, intervalMs);
  socket.on('close', () => {
    clearInterval(tick);
    if (timeout) clearTimeout(timeout);
  });
  return {
    messageReceived() {
      seenPacket = true;
      if (timeout) clearTimeout(timeout);
      timeout = null;
    },
  };
}

/** Meteor.Error as ddp-server sends it (livedata_server.js: new Meteor.Error(404, `Method '…' not found`)). */
const notFound = (what: string) => ({ isClientSafe: true, error: 404, reason: `${what} not found`, message: `${what} not found [404]`, errorType: 'Meteor.Error' });

/**
 * A DDP 1 server (livedata_server.js _handleConnect, Session.protocol_handlers): versions it supports,
 * a `tasks` publication with two documents, a `tasks.insert` method, pings every `beatMs`.
 */
function ddpServer(session: Session, options: { versions: string[]; beatMs: number }) {
  return (socket: WsSocket) => {
    const send = (m: object) => socket.send(JSON.stringify(m));
    let beat: ReturnType<typeof heartbeat> | null = null;
    let connected = false;
    let tasks = 0;
    socket.on('message', (raw) => {
      const m = JSON.parse(rawText(raw)) as Record<string, unknown>;
      beat?.messageReceived();
      if (!connected) {
        if (m.msg !== 'connect') return send({ msg: 'error', reason: 'Must connect first', offendingMessage: m });
        session.connects.push(m);
        // calculateVersion: the first of the client's versions the server supports; `failed` when it is not the proposed one.
        const best = (m.support as string[]).find((v) => options.versions.includes(v)) ?? options.versions[0]!;
        if (m.version !== best) {
          send({ msg: 'failed', version: best });
          socket.close();
          return;
        }
        connected = true;
        send({ msg: 'connected', session: 'Jf9Zr3cQa2PdsbXyE' });
        beat = heartbeat(socket, options.beatMs, options.beatMs, session);
        return;
      }
      switch (m.msg) {
        case 'ping':
          return send({ msg: 'pong', id: m.id });
        case 'pong':
          session.pongs.push(m);
          return;
        case 'sub':
          if (m.name !== 'tasks') return send({ msg: 'nosub', id: m.id, error: notFound(`Subscription '${String(m.name)}'`) });
          send({ msg: 'added', collection: 'tasks', id: 't1', fields: { text: 'one' } });
          send({ msg: 'added', collection: 'tasks', id: 't2', fields: { text: 'two' } });
          return send({ msg: 'ready', subs: [m.id] });
        case 'unsub':
          send({ msg: 'removed', collection: 'tasks', id: 't1' });
          send({ msg: 'removed', collection: 'tasks', id: 't2' });
          return send({ msg: 'nosub', id: m.id });
        case 'method': {
          session.methods.push(String(m.method));
          if (m.method !== 'tasks.insert') return send({ msg: 'result', id: m.id, error: notFound(`Method '${String(m.method)}'`) });
          const id = `n${++tasks}`;
          // The method's write reaches the client before `updated` (DDP.md "Remote Procedure Calls").
          send({ msg: 'result', id: m.id, result: id });
          send({ msg: 'added', collection: 'tasks', id, fields: (m.params as unknown[])[0] as object });
          send({ msg: 'changed', collection: 'tasks', id: 't2', fields: { done: true } });
          return send({ msg: 'updated', methods: [m.id] });
        }
        default:
          return send({ msg: 'error', reason: 'Bad request', offendingMessage: m });
      }
    });
  };
}

function ddpClient(port: number, events: CaptureEvent[], autoReconnect = true): DdpClient {
  // Meteor's raw WebSocket endpoint (ddp-server stream_server.js _redirectWebsocketEndpoint).
  return new DDP({ endpoint: `ws://127.0.0.1:${port}/websocket`, SocketConstructor: recordingWebSocket(events), autoReconnect });
}

/** Resolves with the next message of `event` the client emits. */
function next(ddp: DdpClient, event: string, test: (m: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ddp.on(event, (m) => test(m) && resolve(m)));
}

describe('ddp.js (real client) on a DDP 1 server', () => {
  it("is recognised, every message labelled, the server's pings and the client's pongs measured", async () => {
    const session: Session = { connects: [], pingsSent: 0, pongs: [], methods: [] };
    // Meteor pings every 15 s; 100 ms here, on the same skip-a-tick schedule.
    server = await startServer(ddpServer(session, { versions: ['1', 'pre2', 'pre1'], beatMs: 100 }));
    const events: CaptureEvent[] = [];
    const ddp = ddpClient(server.port, events);
    const added: string[] = [];
    ddp.on('added', (m) => added.push(String(m.id)));
    const connected = new Promise<void>((resolve) => ddp.on('connected', () => resolve()));
    await connected;

    const subId = ddp.sub('tasks', []);
    await next(ddp, 'ready', (m) => (m.subs as string[]).includes(subId));
    const methodId = ddp.method('tasks.insert', [{ text: 'three' }]);
    const result = await next(ddp, 'result', (m) => m.id === methodId);
    await next(ddp, 'updated', (m) => (m.methods as string[]).includes(methodId));
    const missing = ddp.method('tasks.nope', []);
    const failed = await next(ddp, 'result', (m) => m.id === missing);
    const forbidden = ddp.sub('secret', []);
    await next(ddp, 'nosub', (m) => m.id === forbidden);
    // Quiet now: the server pings on every other tick, each answered by a pong.
    await until(() => session.pongs.length >= 6, 'six pongs');
    ddp.unsub(subId);
    await next(ddp, 'nosub', (m) => m.id === subId);
    ddp.disconnect();
    await sleep(50);

    // ddp.js offers DDP 1 only (src/ddp.js DDP_VERSION = "1") and echoes the ping's id, absent here.
    expect(session.connects).toEqual([{ msg: 'connect', version: '1', support: ['1'] }]);
    expect(session.pongs.every((p) => JSON.stringify(p) === '{"msg":"pong"}')).toBe(true);
    expect(result.result).toBe('n1');
    expect(failed.error).toMatchObject({ error: 404 });
    expect(added).toEqual(['t1', 't2', 'n1']);

    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('ddp');
    // Recognised from its frames alone too (no telling URL).
    expect(analyse(framesOnly(events)).channel.protocol).toBe('ddp');
    expect(fallbacks(decoded, 'ddp')).toEqual([]);
    const sub = JSON.stringify(subId).slice(1, -1);
    expect(lines.filter((l) => !/ddp p[io]ng$/.test(l))).toEqual([
      'out handshake ddp connect version=1',
      'in handshake ddp connected',
      `out control ddp sub "tasks" id=${sub}`,
      'in data ddp added tasks id=t1',
      'in data ddp added tasks id=t2',
      `in ack ddp ready subs=${sub}`,
      `out data ddp method "tasks.insert" id=${methodId}`,
      `in ack ddp result id=${methodId}`,
      'in data ddp added tasks id=n1',
      'in data ddp changed tasks id=t2',
      `in ack ddp updated methods=${methodId}`,
      `out data ddp method "tasks.nope" id=${missing}`,
      `in error ddp result id=${missing} error "Method 'tasks.nope' not found"`,
      `out control ddp sub "secret" id=${forbidden}`,
      `in error ddp nosub id=${forbidden} error "Subscription 'secret' not found"`,
      `out control ddp unsub id=${sub}`,
      'in data ddp removed tasks id=t1',
      'in data ddp removed tasks id=t2',
      `in ack ddp nosub id=${sub}`,
    ]);
    const pings = lines.filter((l) => l === 'in heartbeat ddp ping').length;
    const pongs = lines.filter((l) => l === 'out heartbeat ddp pong').length;
    expect(pings).toBe(session.pingsSent);
    expect(pongs).toBe(session.pongs.length);
    expect(pongs).toBeGreaterThanOrEqual(6);

    // No in-band negotiation: the analysis compares against Meteor's defaults.
    expect(timings).toBe(DDP_TIMINGS);
    // The server pings, the client answers; the pong counts as client traffic, so the next tick
    // skips and an idle connection is pinged every other tick (heartbeat.js _heartbeatIntervalFired).
    expect(ch.heartbeat).toMatchObject({ source: 'protocol', direction: 'server' });
    expect(ch.heartbeat!.intervalMs).toBeGreaterThanOrEqual(150);
    expect(ch.heartbeat!.intervalMs).toBeLessThan(300);
  }, 30_000);

  it('a server that would rather speak another version answers failed and closes', async () => {
    const session: Session = { connects: [], pingsSent: 0, pongs: [], methods: [] };
    // Supports only "pre2": ddp.js proposes "1" with support ["1"], so the server suggests its own.
    server = await startServer(ddpServer(session, { versions: ['pre2'], beatMs: 100 }));
    const events: CaptureEvent[] = [];
    const ddp = ddpClient(server.port, events, false);
    await until(() => events.some((e) => e.type === 'ws.close'), 'the server closing');
    ddp.disconnect();

    const { channel: ch, decoded, lines } = analyse(events);
    expect(ch.protocol).toBe('ddp');
    expect(fallbacks(decoded, 'ddp')).toEqual([]);
    expect(lines).toEqual(['out handshake ddp connect version=1', 'in error ddp failed version=pre2']);
  }, 30_000);

  it('the client is the one read from node_modules: DDP 1, pongs echo the ping id, no pings of its own', () => {
    const source = libSource('ddp.js', 'src/ddp.js');
    expect(libVersion('ddp.js')).toBe('2.2.1');
    expect(source).toContain('const DDP_VERSION = "1";');
    expect(source).toContain('this.socket.send({msg: "pong", id: message.id});');
    expect(source).not.toContain('msg: "ping"');
    expect(DDP_TIMINGS.source).toContain(`ddp.js ${libVersion('ddp.js')}`);
  });
});
