/**
 * The real ActionCable client (@rails/actioncable 8.1.400) against a local
 * server speaking the actioncable-v1-json protocol (welcome, ping,
 * confirm_subscription, broadcasts, disconnect); the analysis core must
 * recognise and label it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adapters, createConsumer } from '@rails/actioncable';
import type { CaptureEvent } from '../../src/core/events.ts';
import { ACTIONCABLE_TIMINGS } from '../../src/core/protocols/actioncable.ts';
import { selectActionCableProtocol, serveActionCable, type ActionCableSession } from '../support/protocol-servers.ts';
import { analyse, fallbacks, framesOnly, libSource, libVersion, recordingWebSocket, sleep, startServer, until, type TestServer } from './protocol-real-harness.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

// ConnectionMonitor listens to the window's "visibilitychange" (connection_monitor.js start/stop); Node has no window.
const globals = globalThis as unknown as Record<string, unknown>;
const hadListener = 'addEventListener' in globalThis;
beforeAll(() => {
  if (!hadListener) {
    globals.addEventListener = () => {};
    globals.removeEventListener = () => {};
  }
  adapters.logger = { log() {} } as unknown as Console;
});
afterAll(() => {
  if (!hadListener) {
    delete globals.addEventListener;
    delete globals.removeEventListener;
  }
});

describe('@rails/actioncable (real client) on an ActionCable server', () => {
  it("is recognised, every message labelled, the server's ping measured", async () => {
    const performed: unknown[] = [];
    let negotiated = '';
    let cable: ActionCableSession | null = null;
    server = await startServer((socket) => {
      negotiated = socket.protocol;
      cable = serveActionCable(socket, {
        // Rails pings every BEAT_INTERVAL (3 s) with the epoch seconds; shorter here, the server picks it.
        pingMs: 400,
        accept: (identifier) => (JSON.parse(identifier) as { channel: string }).channel !== 'AdminChannel',
        onConfirmed: (identifier, session) => {
          for (let i = 1; i <= 3; i++) session.send({ identifier, message: { body: `hello ${i}` } });
        },
        onCommand: (cmd) => {
          if (cmd.command === 'message') performed.push(JSON.parse(cmd.data!));
        },
      });
    }, selectActionCableProtocol);
    const pings = () => cable?.pingsSent ?? 0;

    const events: CaptureEvent[] = [];
    adapters.WebSocket = recordingWebSocket(events) as unknown as typeof WebSocket;
    const consumer = createConsumer(`ws://127.0.0.1:${server.port}/cable`);
    const received: unknown[] = [];
    let connected = false;
    const subscription = consumer.subscriptions.create(
      { channel: 'ChatChannel', room: 'lobby' },
      {
        connected: () => (connected = true),
        received: (data: unknown) => received.push(data),
      },
    );
    await until(() => connected && received.length === 3, 'subscription confirmed and three broadcasts');
    subscription.perform('speak', { body: 'from client' });
    let rejected = false;
    consumer.subscriptions.create({ channel: 'AdminChannel' }, { rejected: () => (rejected = true) });
    await until(() => rejected, 'subscription rejected');
    subscription.unsubscribe();
    await until(() => performed.length === 1 && pings() >= 4, 'perform and four pings');
    // The server ends the session: disconnect without reconnect (Rails ActionCable::Connection::Base#close).
    for (const c of server.wss.clients) c.send(JSON.stringify({ type: 'disconnect', reason: 'unauthorized', reconnect: false }));
    await until(() => events.some((e) => e.type === 'ws.close'), 'close');
    consumer.disconnect();
    await sleep(50);

    expect(negotiated).toBe('actioncable-v1-json');
    expect(performed).toEqual([{ body: 'from client', action: 'speak' }]);

    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('actioncable');
    // Recognised from its frames alone too (no telling URL or subprotocol).
    expect(analyse(framesOnly(events)).channel.protocol).toBe('actioncable');
    expect(fallbacks(decoded, 'actioncable')).toEqual([]);
    expect(lines.filter((l) => !l.includes(' ping'))).toEqual([
      'in handshake actioncable welcome',
      'out control actioncable subscribe ChatChannel',
      'in ack actioncable confirm_subscription ChatChannel',
      'in data actioncable message ChatChannel',
      'in data actioncable message ChatChannel',
      'in data actioncable message ChatChannel',
      'out data actioncable message ChatChannel action=speak',
      'out control actioncable subscribe AdminChannel',
      'in error actioncable reject_subscription AdminChannel',
      'out control actioncable unsubscribe ChatChannel',
      'in close actioncable disconnect "unauthorized" (no reconnect)',
    ]);
    const beats = lines.filter((l) => l.includes(' ping'));
    expect(beats.length).toBe(pings());
    expect(new Set(beats)).toEqual(new Set(['in heartbeat actioncable ping']));
    expect(ch.heartbeat).toMatchObject({ direction: 'server', source: 'protocol' });
    expect(ch.heartbeat!.intervalMs).toBeGreaterThanOrEqual(300);
    expect(ch.heartbeat!.intervalMs).toBeLessThan(800);
    expect(timings).toBe(ACTIONCABLE_TIMINGS);
  }, 30_000);

  it('defaults match the client: stale after 6 s (two missed 3 s server pings)', () => {
    const monitor = libSource('@rails/actioncable', 'src/connection_monitor.js');
    expect(monitor).toContain('ConnectionMonitor.staleThreshold = 6 // Server::Connections::BEAT_INTERVAL * 2');
    expect(ACTIONCABLE_TIMINGS).toMatchObject({ heartbeatMs: 3_000, heartbeatDirection: 'server', timeoutMs: 6_000 });
    expect(ACTIONCABLE_TIMINGS.source).toContain(`@rails/actioncable ${libVersion('@rails/actioncable')}`);
  });
});
