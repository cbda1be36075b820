/**
 * The real pusher-js client (8.6.0, its Node build) against a local server
 * speaking Pusher Channels protocol 7: connection_established with
 * activity_timeout, subscribe / subscription_succeeded, channel events,
 * client events on a private channel, pusher:ping / pusher:pong, pusher:error;
 * the analysis core must recognise and label it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Pusher from 'pusher-js';
import type { WebSocket as WsSocket } from 'ws';
import type { CaptureEvent } from '../../src/core/events.ts';
import { PUSHER_TIMINGS } from '../../src/core/protocols/pusher.ts';
import { analyse, fallbacks, framesOnly, libSource, libVersion, rawText, recordingWebSocket, sleep, startServer, until, type TestServer } from './protocol-real-harness.ts';

let server: TestServer | null = null;
const runtime = Pusher.Runtime as unknown as { getWebSocketAPI: () => unknown };
const nodeWebSocketApi = runtime.getWebSocketAPI;
afterEach(async () => {
  runtime.getWebSocketAPI = nodeWebSocketApi;
  await server?.close();
  server = null;
});

interface ServerLog {
  pings: number;
  clientEvents: unknown[];
}

/** A Pusher Channels endpoint; `activityTimeout` (s) goes in pusher:connection_established. */
function pusherServer(activityTimeout: number, log: ServerLog, onOpen?: (socket: WsSocket) => void) {
  return (socket: WsSocket) => {
    // pusher protocol: `data` is a JSON string in every server message.
    const send = (event: string, data: unknown, channel?: string) => socket.send(JSON.stringify({ event, data: JSON.stringify(data), ...(channel ? { channel } : {}) }));
    send('pusher:connection_established', { socket_id: '1234.5678', activity_timeout: activityTimeout });
    onOpen?.(socket);
    socket.on('message', (raw) => {
      const m = JSON.parse(rawText(raw)) as { event: string; data: Record<string, unknown>; channel?: string };
      if (m.event === 'pusher:ping') {
        log.pings++;
        send('pusher:pong', {});
      } else if (m.event === 'pusher:subscribe' && m.data.channel === 'private-forbidden') {
        socket.send(JSON.stringify({ event: 'pusher:error', data: { code: null, message: 'Invalid signature: Expected HMAC SHA256 hex digest' } }));
      } else if (m.event === 'pusher:subscribe') {
        const channel = m.data.channel as string;
        send('pusher_internal:subscription_succeeded', {}, channel);
        if (channel === 'news') for (let i = 1; i <= 3; i++) send('new-article', { title: `article ${i}` }, channel);
      } else if (m.event.startsWith('client-')) {
        log.clientEvents.push(m);
      }
    });
  };
}

function connect(port: number, events: CaptureEvent[]): Pusher {
  runtime.getWebSocketAPI = () => recordingWebSocket(events);
  return new Pusher('app-key', {
    cluster: 'test',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    enableStats: false,
    // Private channels need a signature from the app's server; a fixed one here.
    channelAuthorization: { endpoint: '', transport: 'ajax', customHandler: (_params, callback) => callback(null, { auth: 'app-key:signature' }) },
  });
}

describe('pusher-js (real client) on a Pusher Channels protocol 7 server', () => {
  it("is recognised, every event labelled, the client's activity ping measured", async () => {
    const log: ServerLog = { pings: 0, clientEvents: [] };
    // activity_timeout 3 s: the client pings after 3 s without a message (default 120 s).
    server = await startServer(pusherServer(3, log));
    const events: CaptureEvent[] = [];
    const pusher = connect(server.port, events);
    const articles: unknown[] = [];
    pusher.subscribe('news').bind('new-article', (d: unknown) => articles.push(d));
    const chat = pusher.subscribe('private-chat');
    let chatReady = false;
    chat.bind('pusher:subscription_succeeded', () => (chatReady = true));
    await until(() => articles.length === 3 && chatReady, 'three events and the private subscription');
    expect(chat.trigger('client-typing', { user: 'ada' })).toBe(true);
    pusher.subscribe('private-forbidden');
    await until(() => log.clientEvents.length === 1 && log.pings >= 3, 'client event and three pings', 20_000);
    await sleep(100);
    pusher.unsubscribe('news');
    // TransportConnection.send defers the socket write (Util.defer): let it go out before closing.
    await sleep(50);
    pusher.disconnect();
    await sleep(50);

    expect(events[0]).toMatchObject({ type: 'ws.create', url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/app\/app-key\?protocol=7&client=js&version=8\.6\.0/) });
    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('pusher');
    // Recognised from its frames alone too (no telling URL or subprotocol).
    expect(analyse(framesOnly(events)).channel.protocol).toBe('pusher');
    expect(fallbacks(decoded, 'pusher')).toEqual([]);
    const labelled = lines.filter((l) => !/pusher:p[io]ng$/.test(l));
    // Each direction in order; how the two interleave depends on timing (the private channel's subscribe is
    // sent after its authorisation callback, which can come after the news channel's first events on a busy machine).
    expect(labelled.filter((l) => l.startsWith('in '))).toEqual([
      'in handshake pusher pusher:connection_established activity_timeout=3s',
      'in ack pusher pusher_internal:subscription_succeeded on news',
      'in data pusher event "new-article" on news',
      'in data pusher event "new-article" on news',
      'in data pusher event "new-article" on news',
      'in ack pusher pusher_internal:subscription_succeeded on private-chat',
      'in error pusher pusher:error "Invalid signature: Expected HMAC SHA256 …"',
    ]);
    expect(labelled.filter((l) => l.startsWith('out '))).toEqual([
      'out control pusher pusher:subscribe on news',
      'out control pusher pusher:subscribe on private-chat',
      'out data pusher event "client-typing" on private-chat',
      'out control pusher pusher:subscribe on private-forbidden',
      'out control pusher pusher:unsubscribe on news',
    ]);
    // What does not depend on timing: each answer after its request.
    const at = (line: string) => labelled.indexOf(line);
    expect(at('out control pusher pusher:subscribe on news')).toBeLessThan(at('in ack pusher pusher_internal:subscription_succeeded on news'));
    expect(at('out control pusher pusher:subscribe on private-chat')).toBeLessThan(at('in ack pusher pusher_internal:subscription_succeeded on private-chat'));
    expect(at('out control pusher pusher:subscribe on private-forbidden')).toBeLessThan(at('in error pusher pusher:error "Invalid signature: Expected HMAC SHA256 …"'));
    expect(labelled).toHaveLength(12);
    expect(lines.filter((l) => l === 'out heartbeat pusher pusher:ping').length).toBe(log.pings);
    expect(lines.filter((l) => l === 'in heartbeat pusher pusher:pong').length).toBe(log.pings);
    expect(ch.heartbeat).toMatchObject({ direction: 'client', source: 'protocol' });
    expect(ch.heartbeat!.intervalMs).toBeGreaterThanOrEqual(3_000);
    expect(ch.heartbeat!.intervalMs).toBeLessThan(4_000);
    expect(timings).toMatchObject({ heartbeatMs: 3_000, heartbeatDirection: 'client', idleOnly: true, timeoutMs: 30_000 });
  }, 40_000);

  it("answers the server's pusher:ping with pusher:pong", async () => {
    const log: ServerLog = { pings: 0, clientEvents: [] };
    server = await startServer(pusherServer(120, log, (socket) => socket.send(JSON.stringify({ event: 'pusher:ping', data: '{}' }))));
    const events: CaptureEvent[] = [];
    const pusher = connect(server.port, events);
    await until(() => events.some((e) => e.type === 'ws.message' && e.dir === 'out'), 'the pong');
    pusher.disconnect();
    await sleep(50);
    const { channel: ch, lines } = analyse(events);
    expect(ch.protocol).toBe('pusher');
    expect(lines).toEqual(['in handshake pusher pusher:connection_established activity_timeout=120s', 'in heartbeat pusher pusher:ping', 'out heartbeat pusher pusher:pong']);
  }, 20_000);

  it('defaults match the client: ping after 120 s of silence, pong within 30 s', () => {
    const defaults = libSource('pusher-js', 'src/core/defaults.ts');
    expect(defaults).toContain('activityTimeout: 120000,');
    expect(defaults).toContain('pongTimeout: 30000,');
    expect(PUSHER_TIMINGS).toMatchObject({ heartbeatMs: 120_000, heartbeatDirection: 'client', idleOnly: true, timeoutMs: 30_000 });
    expect(PUSHER_TIMINGS.source).toContain(`pusher-js ${libVersion('pusher-js')}`);
  });
});
