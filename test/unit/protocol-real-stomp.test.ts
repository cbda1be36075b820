/**
 * The real @stomp/stompjs client (7.5.0) against a local STOMP 1.2 server
 * (CONNECT/CONNECTED with heart-beat negotiation, SUBSCRIBE, MESSAGE, SEND,
 * RECEIPT, DISCONNECT, ERROR, end-of-line heart-beats); the analysis core
 * must recognise and label it and read the negotiated heart-beats.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket as WsSocket } from 'ws';
import { Client, Versions, type IStompSocket, type StompConfig } from '@stomp/stompjs';
import type { CaptureEvent } from '../../src/core/events.ts';
import { STOMP_TIMINGS } from '../../src/core/protocols/stomp.ts';
import { decodeMessages } from '../../src/core/protocols/index.ts';
import { analyse, fallbacks, framesOnly, libSource, libVersion, rawText, recordingWebSocket, sleep, startServer, until, type TestServer } from './protocol-real-harness.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

interface Frame {
  command: string;
  headers: Record<string, string>;
  body: string;
}

/** The frames of one message; a message of end-of-line characters only is a heart-beat (STOMP 1.2). */
function frames(text: string): Frame[] | 'heartbeat' {
  if (/^(\r?\n)+$/.test(text)) return 'heartbeat';
  return text
    .split('\0')
    .map((f) => f.replace(/^(\r?\n)+/, ''))
    .filter((f) => f !== '')
    .map((f) => {
      const [head, body = ''] = f.split('\n\n');
      const [command, ...lines] = head!.split('\n');
      return { command: command!, headers: Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)])), body };
    });
}

const frame = (command: string, headers: Record<string, string>, body = '') =>
  `${command}\n${Object.entries(headers)
    .map(([k, v]) => `${k}:${v}\n`)
    .join('')}\n${body}\0`;

interface Session {
  clientBeats: number;
  sent: Frame[];
}

/** A STOMP 1.2 broker: answers CONNECT with `heartBeat` (sx,sy), sends its heart-beats every max(sx, cy). */
function stompServer(heartBeat: [number, number], session: Session) {
  return (socket: WsSocket) => {
    let beat: NodeJS.Timeout | undefined;
    socket.on('close', () => clearInterval(beat));
    // Frames may come in pieces (stompjs splitLargeFrames): complete ones end with NUL.
    let buffer = '';
    socket.on('message', (raw) => {
      const text = rawText(raw);
      if (buffer === '' && frames(text) === 'heartbeat') {
        session.clientBeats++;
        return;
      }
      buffer += text;
      const end = buffer.lastIndexOf('\0');
      if (end < 0) return;
      const parsed = frames(buffer.slice(0, end + 1));
      buffer = buffer.slice(end + 1);
      if (parsed === 'heartbeat') return;
      for (const f of parsed) {
        if (f.command === 'CONNECT' || f.command === 'STOMP') {
          const [, cy] = f.headers['heart-beat']!.split(',').map(Number) as [number, number];
          socket.send(frame('CONNECTED', { version: '1.2', 'heart-beat': heartBeat.join(','), server: 'test/1.0' }));
          const every = heartBeat[0] && cy ? Math.max(heartBeat[0], cy) : 0;
          if (every) beat = setInterval(() => socket.send('\n'), every);
        } else if (f.command === 'SUBSCRIBE' && f.headers.destination === '/topic/secret') {
          socket.send(frame('ERROR', { message: 'forbidden', 'content-type': 'text/plain' }, 'not allowed to subscribe'));
          socket.close();
        } else if (f.command === 'SUBSCRIBE') {
          for (let i = 1; i <= 3; i++) {
            const body = JSON.stringify({ greeting: `hello ${i}` });
            socket.send(
              frame('MESSAGE', { destination: f.headers.destination!, subscription: f.headers.id!, 'message-id': `m-${i}`, 'content-type': 'application/json', 'content-length': String(body.length) }, body),
            );
          }
        } else if (f.command === 'SEND') {
          session.sent.push(f);
        }
        if (f.headers.receipt) socket.send(frame('RECEIPT', { 'receipt-id': f.headers.receipt }));
        if (f.command === 'DISCONNECT') socket.close();
      }
    });
  };
}

function stompClient(port: number, events: CaptureEvent[], heartbeatOutgoing: number, heartbeatIncoming: number, options: Partial<StompConfig> = {}): Client {
  const Recording = recordingWebSocket(events);
  return new Client({
    ...options,
    // What brokerURL would do: the subprotocols of the versions it offers (client.ts _createWebSocket).
    webSocketFactory: () => new Recording(`ws://127.0.0.1:${port}/ws`, Versions.default.protocolVersions()) as unknown as IStompSocket,
    heartbeatOutgoing,
    heartbeatIncoming,
    reconnectDelay: 0,
  });
}

describe('@stomp/stompjs (real client) on a STOMP 1.2 server', () => {
  it('is recognised, every frame labelled, heart-beats both ways as negotiated', async () => {
    const session: Session = { clientBeats: 0, sent: [] };
    server = await startServer(stompServer([600, 300], session), (p) => (p.has('v12.stomp') ? 'v12.stomp' : false));
    const events: CaptureEvent[] = [];
    // CONNECT heart-beat 300,600 and CONNECTED 600,300: the client sends every 300 ms, the server every 600 ms.
    const client = stompClient(server.port, events, 300, 600);
    const received: string[] = [];
    client.onConnect = () => {
      client.subscribe('/topic/greetings', (m) => received.push(m.body));
    };
    client.activate();
    await until(() => received.length === 3, 'three MESSAGE frames');
    let receipt = false;
    client.watchForReceipt('r-1', () => (receipt = true));
    client.publish({ destination: '/app/hello', body: JSON.stringify({ name: 'ada' }), headers: { receipt: 'r-1', 'content-type': 'application/json' } });
    await until(() => receipt && session.clientBeats >= 4, 'receipt and four client heart-beats');
    // A binary body goes out as a binary WebSocket frame (frame-impl.ts toUnit8Array).
    client.publish({ destination: '/app/blob', binaryBody: new Uint8Array([1, 2, 3]) });
    await until(() => session.sent.length === 2, 'binary SEND');
    await until(() => events.filter((e) => e.type === 'ws.message' && e.dir === 'in' && e.data.data === '\n').length >= 3, 'three server heart-beats');
    await client.deactivate();
    await sleep(50);

    expect(session.sent.map((f) => f.body)).toEqual(['{"name":"ada"}', '\x01\x02\x03']);
    expect(events.filter((e) => e.type === 'ws.message' && e.data.encoding === 'binary').length).toBe(1);
    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('stomp');
    // Recognised from its frames alone too (no telling URL or subprotocol).
    expect(analyse(framesOnly(events)).channel.protocol).toBe('stomp');
    expect(fallbacks(decoded, 'stomp')).toEqual([]);
    expect(lines.filter((l) => !l.endsWith('stomp heart-beat'))).toEqual([
      'out handshake stomp CONNECT heart-beat=300,600',
      'in handshake stomp CONNECTED heart-beat=600,300',
      'out control stomp SUBSCRIBE /topic/greetings',
      'in data stomp MESSAGE /topic/greetings',
      'in data stomp MESSAGE /topic/greetings',
      'in data stomp MESSAGE /topic/greetings',
      'out data stomp SEND /app/hello',
      'in ack stomp RECEIPT receipt-id=r-1',
      'out data stomp SEND /app/blob',
      'out close stomp DISCONNECT',
      'in ack stomp RECEIPT receipt-id=close-1',
    ]);
    expect(lines.filter((l) => l === 'out heartbeat stomp heart-beat').length).toBe(session.clientBeats);
    expect(lines.filter((l) => l === 'in heartbeat stomp heart-beat').length).toBeGreaterThanOrEqual(3);
    expect(timings).toMatchObject({ heartbeatMs: 300, heartbeatDirection: 'both', timeoutMs: 1_200 });
    expect(ch.heartbeat).toMatchObject({ source: 'protocol' });
  }, 30_000);

  it('client-only heart-beats: direction and period measured; ERROR labelled', async () => {
    const session: Session = { clientBeats: 0, sent: [] };
    server = await startServer(stompServer([0, 250], session), (p) => (p.has('v12.stomp') ? 'v12.stomp' : false));
    const events: CaptureEvent[] = [];
    // heartbeatIncoming 0: the client asks for no server heart-beats (CONNECT heart-beat 250,0).
    const client = stompClient(server.port, events, 250, 0);
    let errored = false;
    client.onStompError = () => (errored = true);
    client.activate();
    await until(() => client.connected && session.clientBeats >= 6, 'six client heart-beats');
    client.subscribe('/topic/secret', () => {});
    await until(() => errored, 'ERROR frame');
    await client.deactivate();
    await sleep(50);

    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('stomp');
    expect(fallbacks(decoded, 'stomp')).toEqual([]);
    expect(lines).toContain('in error stomp ERROR "forbidden"');
    expect(timings).toMatchObject({ heartbeatMs: 250, heartbeatDirection: 'client' });
    expect(timings!.timeoutMs).toBeUndefined();
    expect(ch.heartbeat).toMatchObject({ direction: 'client', source: 'protocol' });
    expect(ch.heartbeat!.intervalMs).toBeGreaterThanOrEqual(200);
    expect(ch.heartbeat!.intervalMs).toBeLessThan(500);
  }, 30_000);

  it('frames split across messages (splitLargeFrames) are reassembled', async () => {
    const session: Session = { clientBeats: 0, sent: [] };
    server = await startServer(stompServer([0, 0], session), (p) => (p.has('v12.stomp') ? 'v12.stomp' : false));
    const events: CaptureEvent[] = [];
    // Spring's broker relay limits incoming WebSocket messages: stompjs then cuts each frame into chunks.
    const client = stompClient(server.port, events, 0, 0, { splitLargeFrames: true, maxWebSocketChunkSize: 100 });
    client.activate();
    await until(() => client.connected, 'CONNECTED');
    const body = JSON.stringify({ text: 'x'.repeat(220) });
    client.publish({ destination: '/app/big', body });
    client.publish({ destination: '/app/small', body: 'ok' });
    await until(() => session.sent.length === 2, 'both SENDs reassembled by the server');
    await client.deactivate();
    await sleep(50);

    expect(session.sent.map((f) => f.body)).toEqual([body, 'ok']);
    const { channel: ch, decoded, lines } = analyse(events);
    expect(ch.protocol).toBe('stomp');
    expect(analyse(framesOnly(events)).channel.protocol).toBe('stomp');
    // Reassembly needs the messages in order (decodeMessages → the decoder's decodeSequence), as
    // detection does; src/core/protocol-support.ts and src/panel/messages.ts decode one message at a time.
    expect(fallbacks(decoded, 'stomp')).toEqual([]);
    const sends = lines.filter((l) => l.includes(' SEND '));
    expect(sends).toEqual([
      'out data stomp SEND /app/big (start, 100 B)',
      'out data stomp SEND /app/big (part, 100 B)',
      expect.stringMatching(/^out data stomp SEND \/app\/big$/),
      'out data stomp SEND /app/small',
    ]);
    const whole = decoded.find((d) => d.label === 'stomp SEND /app/big')!.value as { body: string };
    expect(whole.body).toBe(body);
  }, 30_000);

  it('defaults match the client: 10000 ms each way, no server frame for 2 × 10000 ms closes', () => {
    const client = libSource('@stomp/stompjs', 'src/client.ts');
    expect(client).toContain('public heartbeatIncoming: number = 10000;');
    expect(client).toContain('public heartbeatOutgoing: number = 10000;');
    expect(client).toContain('public heartbeatToleranceMultiplier: number = 2;');
    expect(STOMP_TIMINGS).toMatchObject({ heartbeatMs: 10_000, heartbeatDirection: 'both', timeoutMs: 20_000 });
    expect(STOMP_TIMINGS.source).toContain(`@stomp/stompjs ${libVersion('@stomp/stompjs')}`);
  });
});

describe('STOMP reassembly around what real peers send', () => {
  const msg = (dir: 'in' | 'out', text: string, truncated = false) => ({ dir, data: { size: Buffer.byteLength(text), encoding: 'text' as const, data: text, truncated } });
  const labels = (messages: ReturnType<typeof msg>[]) => decodeMessages('stomp', messages).map((d) => `${d.role} ${d.label}`);

  it('a peer that omits the NUL does not swallow the frames after it', () => {
    expect(labels([msg('in', 'MESSAGE\ndestination:/a\n\none'), msg('in', 'MESSAGE\ndestination:/a\n\ntwo'), msg('in', 'RECEIPT\nreceipt-id:1\n\n\0')])).toEqual([
      'data stomp MESSAGE /a (start, 27 B)',
      'data stomp MESSAGE /a (start, 27 B)',
      'ack stomp RECEIPT receipt-id=1',
    ]);
  });

  it('heart-beats between the pieces of a split frame stay heart-beats', () => {
    expect(labels([msg('out', 'SEND\ndestination:/b\n\n{"a":'), msg('out', '\n'), msg('out', '1}\0')])).toEqual([
      'data stomp SEND /b (start, 26 B)',
      'heartbeat stomp heart-beat',
      'data stomp SEND /b',
    ]);
  });

  it('a frame cut by the capture cap is labelled with what is there, and the next message starts afresh', () => {
    expect(labels([msg('in', 'MESSAGE\ndestination:/c\n\nlong bo', true), msg('in', 'MESSAGE\ndestination:/c\n\nnext\0')])).toEqual([
      'data stomp MESSAGE /c',
      'data stomp MESSAGE /c',
    ]);
  });
});
