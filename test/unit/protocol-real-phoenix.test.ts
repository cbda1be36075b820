/**
 * The real phoenix.js client (phoenix 1.8.16) against a local server speaking
 * the Phoenix channels wire protocol (serializer v2: [join_ref, ref, topic,
 * event, payload]); the analysis core must recognise and label it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Socket } from 'phoenix';
import type { CaptureEvent } from '../../src/core/events.ts';
import { PHOENIX_TIMINGS } from '../../src/core/protocols/phoenix.ts';
import { servePhoenixChannels, type PhoenixSession } from '../support/protocol-servers.ts';
import { analyse, fallbacks, framesOnly, libSource, libVersion, recordingWebSocket, sleep, startServer, until, type TestServer } from './protocol-real-harness.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('phoenix.js (real client) on a Phoenix channels server', () => {
  it("is recognised, every message labelled, the client's heartbeat measured", async () => {
    let pushed: unknown = null;
    let binaryPushed: Buffer | null = null;
    let socketUrl = '';
    let phoenix: PhoenixSession | null = null;
    server = await startServer((socket, req) => {
      socketUrl = req.url ?? '';
      phoenix = servePhoenixChannels(socket, {
        onBinary: (bytes) => {
          // serializer.js binaryEncode: kind 0, sizes of join_ref, ref, topic, event, the fields, the payload.
          const sizes = [bytes[1]!, bytes[2]!, bytes[3]!, bytes[4]!];
          let offset = 5;
          const [joinRef, ref, topic] = sizes.map((n) => bytes.subarray(offset, (offset += n)).toString('utf8'));
          binaryPushed = bytes.subarray(offset);
          // Reply (kind 1: join_ref, ref, topic, status) and broadcast (kind 2: topic, event) in binary, as Phoenix.Socket.V2.JSONSerializer sends them.
          const field = (v: string) => Buffer.from(v, 'utf8');
          const replyFields = [joinRef!, ref!, topic!, 'ok'].map(field);
          socket.send(Buffer.concat([Buffer.from([1, ...replyFields.map((f) => f.length)]), ...replyFields, Buffer.from([9, 9])]));
          const castFields = [topic!, 'blob'].map(field);
          socket.send(Buffer.concat([Buffer.from([2, ...castFields.map((f) => f.length)]), ...castFields, Buffer.from([7, 7, 7])]));
        },
        // Phoenix.Channel.broadcast/push: no refs on server pushes.
        onJoin: ([joinRef, , topic], session) => {
          for (let i = 1; i <= 3; i++) session.push(joinRef, topic, 'new_msg', { body: `hello ${i}` });
        },
        onEvent: (message, session) => {
          if (message[3] !== 'new_msg') return;
          pushed = message[4];
          session.reply(message, { accepted: true });
        },
      });
    });
    const clientHeartbeats = () => phoenix?.heartbeats ?? 0;

    const events: CaptureEvent[] = [];
    const received: string[] = [];
    const socket = new Socket(`ws://127.0.0.1:${server.port}/socket`, {
      transport: recordingWebSocket(events),
      // Fast, so that every heartbeat also follows the previous reply closely: the core must
      // still tell the client's beat from the server's reply (metrics/heartbeat.ts initiator()).
      heartbeatIntervalMs: 250,
      params: { token: 't' },
    });
    socket.connect();
    const channel = socket.channel('room:lobby', { nick: 'ada' });
    channel.on('new_msg', (p: { body: string }) => {
      received.push(p.body);
    });
    let joined = false;
    channel.join().receive('ok', () => (joined = true));
    await until(() => joined && received.length === 3, 'join and three pushes');
    let acked = false;
    channel.push('new_msg', { body: 'from client' }).receive('ok', () => (acked = true));
    await until(() => acked, 'push acknowledged');
    // An ArrayBuffer payload goes out as a binary frame (serializer.js encode).
    let binaryReply: ArrayBuffer | null = null;
    let blob: ArrayBuffer | null = null;
    channel.on('blob', (p: ArrayBuffer) => {
      blob = p;
    });
    channel.push('upload', new Uint8Array([1, 2, 3, 4]).buffer).receive('ok', (r: ArrayBuffer) => (binaryReply = r));
    await until(() => binaryReply !== null && blob !== null, 'binary reply and broadcast');
    await until(() => clientHeartbeats() >= 3, 'three heartbeats');
    let left = false;
    channel.leave().receive('ok', () => (left = true));
    await until(() => left, 'leave');
    await new Promise<void>((resolve) => socket.disconnect(() => resolve()));
    await sleep(50);

    expect(socketUrl).toMatch(/^\/socket\/websocket\?token=t&vsn=2\.0\.0$/);
    expect(pushed).toEqual({ body: 'from client' });
    expect([...binaryPushed!]).toEqual([1, 2, 3, 4]);
    expect(new Uint8Array(binaryReply!)).toEqual(new Uint8Array([9, 9]));
    expect(new Uint8Array(blob!)).toEqual(new Uint8Array([7, 7, 7]));

    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('phoenix');
    // Recognised from its frames alone too (no telling URL or subprotocol).
    expect(analyse(framesOnly(events)).channel.protocol).toBe('phoenix');
    expect(ch.kind).toBe('websocket');
    expect(fallbacks(decoded, 'phoenix')).toEqual([]);
    const withoutRefs = lines.map((l) => l.replace(/ ref=\d+$/, ''));
    expect(withoutRefs.slice(0, 5)).toEqual([
      'out handshake phoenix "room:lobby" phx_join',
      'in ack phoenix "room:lobby" phx_reply ok',
      'in data phoenix "room:lobby" new_msg',
      'in data phoenix "room:lobby" new_msg',
      'in data phoenix "room:lobby" new_msg',
    ]);
    expect(withoutRefs).toEqual(
      expect.arrayContaining([
        'out data phoenix "room:lobby" new_msg',
        'out data phoenix "room:lobby" upload',
        'in ack phoenix "room:lobby" phx_reply ok',
        'in data phoenix "room:lobby" blob',
        'out heartbeat phoenix heartbeat',
        'in heartbeat phoenix heartbeat reply ok',
        'out close phoenix "room:lobby" phx_leave',
        'in close phoenix "room:lobby" phx_close',
      ]),
    );
    const binary = decoded.filter((d) => (d.value as { payload: unknown }).payload !== null && JSON.stringify(d.value).includes('$binary'));
    expect(binary.map((d) => `${d.dir} ${d.label}`)).toEqual([
      expect.stringMatching(/^out phoenix "room:lobby" upload ref=\d+$/),
      expect.stringMatching(/^in phoenix "room:lobby" phx_reply ok ref=\d+$/),
      'in phoenix "room:lobby" blob',
    ]);
    // Each client push carries its ref, and the reply echoes it.
    expect(lines.filter((l) => / phoenix heartbeat ref=\d+$/.test(l)).length).toBe(clientHeartbeats());

    expect(ch.heartbeat).toMatchObject({ direction: 'client', source: 'protocol' });
    // The client waits heartbeatIntervalMs after each reply (socket.js onConnMessage).
    expect(ch.heartbeat!.intervalMs).toBeGreaterThanOrEqual(250);
    expect(ch.heartbeat!.intervalMs).toBeLessThan(3000);
    expect(timings).toBe(PHOENIX_TIMINGS);
  }, 30_000);

  it('defaults match phoenix.js: heartbeatIntervalMs 30000, client-sent, timeout = one interval', () => {
    const source = libSource('phoenix', 'assets/js/phoenix/socket.js');
    expect(source).toContain('this.heartbeatIntervalMs = opts.heartbeatIntervalMs || 30000');
    // The reply timer is armed with the same interval: no reply within it closes the socket.
    expect(source).toContain('this.heartbeatTimeoutTimer = setTimeout(() => this.heartbeatTimeout(), this.heartbeatIntervalMs)');
    expect(PHOENIX_TIMINGS).toMatchObject({ heartbeatMs: 30_000, heartbeatDirection: 'client', timeoutMs: 30_000 });
    expect(PHOENIX_TIMINGS.source).toContain(`phoenix ${libVersion('phoenix')}`);
  });
});
