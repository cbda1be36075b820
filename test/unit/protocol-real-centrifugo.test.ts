/**
 * The real centrifuge-js client (centrifuge 5.8.0, JSON protocol v2) against a
 * local server speaking the Centrifugo client protocol: connect, subscribe,
 * publication pushes, publish, rpc, server pings `{}` answered by `{}`
 * pongs, an error reply; the analysis core must recognise and label it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Centrifuge } from 'centrifuge';
import { Centrifuge as CentrifugeProtobuf } from 'centrifuge/build/protobuf';
import type { CaptureEvent } from '../../src/core/events.ts';
import { CENTRIFUGO_TIMINGS } from '../../src/core/protocols/centrifugo.ts';
import { serveCentrifugo, type CentrifugoSession } from '../support/protocol-servers.ts';
import { analyse, fallbacks, framesOnly, libSource, libVersion, recordingWebSocket, sleep, startServer, until, type TestServer } from './protocol-real-harness.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('centrifuge-js (real client) on a Centrifugo protocol server', () => {
  it('is recognised, every command/reply/push labelled, ping/pong measured', async () => {
    const published: unknown[] = [];
    let centrifugo: CentrifugoSession | null = null;
    server = await startServer((socket) => {
      centrifugo = serveCentrifugo(socket, {
        // The server pings every `ping` seconds and wants `{}` back when `pong` is true (Centrifugo ping_interval, 25 s by default).
        pingSeconds: 1,
        onCommand: (cmd, frame) => {
          if (isRecord(cmd.subscribe) && cmd.subscribe.channel === 'secret') {
            frame.reply(cmd.id, { error: { code: 103, message: 'permission denied' } });
          } else if (isRecord(cmd.subscribe)) {
            frame.reply(cmd.id, { subscribe: {} });
            for (let i = 1; i <= 3; i++) frame.push({ channel: cmd.subscribe.channel, pub: { data: { text: `hello ${i}` }, offset: i } });
          } else if (isRecord(cmd.publish)) {
            published.push(cmd.publish.data);
            frame.reply(cmd.id, { publish: {} });
          } else if (isRecord(cmd.rpc)) {
            frame.reply(cmd.id, { rpc: { data: { echo: cmd.rpc.data } } });
          } else {
            return false;
          }
          return true;
        },
      });
    });
    const pings = () => centrifugo?.pingsSent ?? 0;
    const pongs = () => centrifugo?.pongs ?? 0;

    const events: CaptureEvent[] = [];
    const client = new Centrifuge(`ws://127.0.0.1:${server.port}/connection/websocket`, {
      websocket: recordingWebSocket(events),
      minReconnectDelay: 60_000,
    });
    const received: unknown[] = [];
    client.connect();
    const sub = client.newSubscription('news');
    sub.on('publication', (ctx) => received.push(ctx.data));
    sub.subscribe();
    await until(() => received.length === 3, 'three publications');
    await sub.publish({ text: 'from client' });
    expect(await client.rpc('sum', { a: 1 })).toMatchObject({ data: { echo: { a: 1 } } });
    const secret = client.newSubscription('secret');
    // A permanent error (code >= 100) ends the subscription (Subscription._subscribeError).
    let unsubscribedCode = 0;
    secret.on('unsubscribed', (ctx) => (unsubscribedCode = ctx.code));
    secret.subscribe();
    await until(() => unsubscribedCode !== 0, 'subscription refused');
    expect(unsubscribedCode).toBe(103);
    await until(() => pongs() >= 3, 'three pongs');
    client.disconnect();
    await sleep(50);

    expect(published).toEqual([{ text: 'from client' }]);
    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('centrifugo');
    // Recognised from its frames alone too (no telling URL or subprotocol).
    expect(analyse(framesOnly(events)).channel.protocol).toBe('centrifugo');
    expect(fallbacks(decoded, 'centrifugo')).toEqual([]);
    expect(lines.filter((l) => !/ centrifugo (ping|pong)$/.test(l))).toEqual([
      // subscribe() right after connect(): the client sends both commands in one frame.
      'out handshake centrifugo commands ×2: centrifugo connect id=1, centrifugo subscribe "news" id=2',
      'in handshake centrifugo replies ×2: centrifugo connect reply id=1, centrifugo subscribe reply id=2',
      'in data centrifugo push pub "news"',
      'in data centrifugo push pub "news"',
      'in data centrifugo push pub "news"',
      'out data centrifugo publish "news" id=3',
      'in ack centrifugo publish reply id=3',
      'out data centrifugo rpc id=4',
      'in ack centrifugo rpc reply id=4',
      'out control centrifugo subscribe "secret" id=5',
      'in error centrifugo error 103 "permission denied" id=5',
    ]);
    expect(lines.filter((l) => l === 'in heartbeat centrifugo ping').length).toBe(pings());
    expect(lines.filter((l) => l === 'out heartbeat centrifugo pong').length).toBe(pongs());
    expect(ch.heartbeat).toMatchObject({ direction: 'server', source: 'protocol' });
    expect(ch.heartbeat!.intervalMs).toBeGreaterThanOrEqual(900);
    expect(ch.heartbeat!.intervalMs).toBeLessThan(1_500);
    // The connect reply's ping (s) and the client's maxServerPingDelay give the timeout.
    expect(timings).toMatchObject({ heartbeatMs: 1_000, heartbeatDirection: 'server', timeoutMs: 11_000 });
  }, 30_000);

  it('defaults match the client: no ping for ping + 10 s disconnects; server ping_interval 25 s', () => {
    const build = libSource('centrifuge', 'build/index.js');
    expect(build).toContain('maxServerPingDelay: 10000,');
    expect(build).toContain('this._serverPing = result.ping * 1000;');
    expect(build).toContain('const delay = this._serverPing + this._config.maxServerPingDelay;');
    expect(CENTRIFUGO_TIMINGS).toMatchObject({ heartbeatMs: 25_000, heartbeatDirection: 'server', timeoutMs: 35_000 });
    expect(CENTRIFUGO_TIMINGS.source).toContain(`centrifuge ${libVersion('centrifuge')}`);
  });
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/* Protocol Buffers wire format by hand for the protobuf server (protobuf.dev/programming-guides/encoding). */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
const pbVarint = (field: number, v: number) => [...varint(field * 8), ...varint(v)];
const pbBytes = (field: number, bytes: ArrayLike<number>) => [...varint(field * 8 + 2), ...varint(bytes.length), ...Array.from(bytes)];
const pbString = (field: number, s: string) => pbBytes(field, new TextEncoder().encode(s));
const delimited = (...messages: number[][]) => Buffer.from(messages.flatMap((m) => [...varint(m.length), ...m]));

/** Top-level fields of each delimited message: field number → first value (number or bytes). */
function readDelimited(buf: Buffer): Array<Map<number, number | Buffer>> {
  const out: Array<Map<number, number | Buffer>> = [];
  let pos = 0;
  const readVarint = () => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = buf[pos++]!;
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v;
      scale *= 128;
    }
  };
  while (pos < buf.length) {
    const end = readVarint() + pos;
    const fields = new Map<number, number | Buffer>();
    while (pos < end) {
      const tag = readVarint();
      if (tag % 8 === 0) fields.set(Math.floor(tag / 8), readVarint());
      else {
        const len = readVarint();
        fields.set(Math.floor(tag / 8), buf.subarray(pos, pos + len));
        pos += len;
      }
    }
    out.push(fields);
  }
  return out;
}

describe('centrifuge-js protobuf (real client, subprotocol centrifuge-protobuf)', () => {
  it('is recognised from the subprotocol and its binary Commands/Replies labelled', async () => {
    let pongs = 0;
    let published: Buffer | null = null;
    let negotiated = '';
    server = await startServer(
      (socket) => {
        negotiated = socket.protocol;
        let timer: NodeJS.Timeout | undefined;
        socket.on('close', () => clearInterval(timer));
        socket.on('message', (raw) => {
          const replies: number[][] = [];
          const pushes: number[][] = [];
          for (const cmd of readDelimited(raw as Buffer)) {
            const id = (cmd.get(1) as number | undefined) ?? 0;
            if (cmd.size === 0) pongs++;
            else if (cmd.has(4)) {
              // Reply.connect = ConnectResult {client 1, version 2, ping 7, pong 8}.
              replies.push([...pbVarint(1, id), ...pbBytes(5, [...pbString(1, 'c0ffee'), ...pbString(2, '6.0.0'), ...pbVarint(7, 1), ...pbVarint(8, 1)])]);
              timer = setInterval(() => socket.send(delimited([])), 1000);
            } else if (cmd.has(5)) {
              const channel = readDelimited(Buffer.from([(cmd.get(5) as Buffer).length, ...(cmd.get(5) as Buffer)]))[0]!.get(1) as Buffer;
              replies.push([...pbVarint(1, id), ...pbBytes(6, [])]);
              // Reply.push = Push {channel 2, pub 4: Publication {data 4}}.
              for (let i = 1; i <= 2; i++) pushes.push(pbBytes(4, [...pbString(2, channel.toString()), ...pbBytes(4, pbString(4, JSON.stringify({ n: i })))]));
            } else if (cmd.has(7)) {
              published = cmd.get(7) as Buffer;
              replies.push([...pbVarint(1, id), ...pbBytes(8, [])]);
            }
          }
          if (replies.length) socket.send(delimited(...replies));
          for (const p of pushes) socket.send(delimited(p));
        });
      },
      (protocols) => (protocols.has('centrifuge-protobuf') ? 'centrifuge-protobuf' : false),
    );

    const events: CaptureEvent[] = [];
    const client = new CentrifugeProtobuf(`ws://127.0.0.1:${server.port}/connection/websocket`, {
      websocket: recordingWebSocket(events),
      minReconnectDelay: 60_000,
    });
    const received: unknown[] = [];
    client.connect();
    const sub = client.newSubscription('news');
    sub.on('publication', (ctx) => received.push(JSON.parse(new TextDecoder().decode(ctx.data as Uint8Array))));
    sub.subscribe();
    await until(() => received.length === 2, 'two publications');
    await sub.publish(new TextEncoder().encode(JSON.stringify({ text: 'from client' })));
    await until(() => pongs >= 2, 'two pongs');
    client.disconnect();
    await sleep(50);

    expect(negotiated).toBe('centrifuge-protobuf');
    expect(received).toEqual([{ n: 1 }, { n: 2 }]);
    expect(published).not.toBeNull();
    expect(events.filter((e) => e.type === 'ws.message').every((e) => e.data.encoding === 'binary')).toBe(true);
    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('centrifugo');
    // The subprotocol alone is enough (a proxy path instead of /connection/websocket) ...
    const proxied = events.map((e) => (e.type === 'ws.create' ? { ...e, url: 'ws://example.test/live' } : e));
    expect(analyse(proxied).channel.protocol).toBe('centrifugo');
    // ... but binary frames alone are not: short protobuf messages parse as Commands too easily.
    expect(analyse(framesOnly(events)).channel.protocol).not.toBe('centrifugo');
    expect(fallbacks(decoded, 'centrifugo')).toEqual([]);
    expect(lines.filter((l) => !/ centrifugo (ping|pong)$/.test(l))).toEqual([
      'out handshake centrifugo commands ×2: centrifugo connect id=1, centrifugo subscribe "news" id=2',
      'in handshake centrifugo replies ×2: centrifugo connect reply id=1, centrifugo subscribe reply id=2',
      'in data centrifugo push pub "news"',
      'in data centrifugo push pub "news"',
      'out data centrifugo publish "news" id=3',
      'in ack centrifugo publish reply id=3',
    ]);
    expect(lines.filter((l) => l === 'out heartbeat centrifugo pong').length).toBe(pongs);
    expect(lines.filter((l) => l === 'in heartbeat centrifugo ping').length).toBeGreaterThanOrEqual(2);
    const pub = decoded.find((d) => d.label === 'centrifugo push pub "news"')!.value as { push: { pub: { data: unknown } } };
    expect(pub.push.pub.data).toEqual({ n: 1 });
    expect(ch.heartbeat).toMatchObject({ direction: 'server', source: 'protocol' });
    expect(timings).toMatchObject({ heartbeatMs: 1_000, heartbeatDirection: 'server', timeoutMs: 11_000 });
  }, 30_000);
});
