/**
 * The real SignalR client (@microsoft/signalr 10.0.11, JSON hub protocol over
 * WebSockets, negotiation skipped) against a local server speaking the hub
 * protocol: handshake, invocations, completions, pings, close; the analysis
 * core must recognise and label it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DefaultHttpClient, HttpTransportType, HubConnectionBuilder, LogLevel, NullLogger, type HttpRequest, type HttpResponse, type IHttpConnectionOptions } from '@microsoft/signalr';
import { Analyzer } from '../../src/core/index.ts';
import { decodeMessage } from '../../src/core/protocols/index.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import { SIGNALR_TIMINGS } from '../../src/core/protocols/signalr.ts';
import { serveSignalrHub, signalrNegotiateResponse, type SignalrHubSession } from '../support/protocol-servers.ts';
import { analyse, eventBase, fallbacks, framesOnly, nextConn, libSource, libVersion, recordingWebSocket, sleep, startServer, until, type TestServer } from './protocol-real-harness.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('@microsoft/signalr (real client) on a JSON hub protocol server', () => {
  it('is recognised, every record labelled, both sides\' pings seen', async () => {
    const invoked: unknown[] = [];
    let hub: SignalrHubSession | null = null;
    server = await startServer((socket) => {
      hub = serveSignalrHub(socket, {
        // ASP.NET Core HubOptions.KeepAliveInterval (15 s by default); shorter here, the server picks it.
        keepAliveMs: 500,
        onHandshake: (h) => {
          for (let i = 1; i <= 3; i++) h.send({ type: 1, target: 'ReceiveMessage', arguments: ['server', `hello ${i}`] });
        },
        onRecord: (m, h) => {
          if (m.type === 1 && m.target === 'Fail') {
            h.send({ type: 3, invocationId: m.invocationId, error: 'An unexpected error occurred invoking \'Fail\' on the server.' });
          } else if (m.type === 4) {
            // StreamInvocation: items (type 2), then a completion (type 3).
            for (let i = 1; i <= 2; i++) h.send({ type: 2, invocationId: m.invocationId, item: i });
            h.send({ type: 3, invocationId: m.invocationId });
          } else if (m.type === 1) {
            invoked.push(m.arguments);
            if (m.invocationId !== undefined) h.send({ type: 3, invocationId: m.invocationId, result: 'stored' });
          }
        },
      });
    });
    const serverPings = () => hub?.pingsSent ?? 0;
    const clientPings = () => hub?.pingsReceived ?? 0;

    const events: CaptureEvent[] = [];
    const connection = new HubConnectionBuilder()
      .withUrl(`http://127.0.0.1:${server.port}/chathub`, {
        transport: HttpTransportType.WebSockets,
        skipNegotiation: true,
        // HttpConnection.ts reads options.WebSocket (not in the public typings) before falling back to the ws package.
        WebSocket: recordingWebSocket(events),
      } as IHttpConnectionOptions)
      .withKeepAliveInterval(1_000)
      .withServerTimeout(5_000)
      .configureLogging(LogLevel.None)
      .build();
    const received: string[] = [];
    connection.on('ReceiveMessage', (_user: string, text: string) => received.push(text));
    await connection.start();
    await until(() => received.length === 3, 'three server invocations');
    expect(await connection.invoke('SendMessage', 'ada', 'from client')).toBe('stored');
    await connection.send('Typing', 'ada');
    await expect(connection.invoke('Fail')).rejects.toThrow(/unexpected error/);
    const items: number[] = [];
    await new Promise<void>((resolve, reject) => connection.stream<number>('Counter', 2).subscribe({ next: (n) => items.push(n), complete: resolve, error: reject }));
    expect(items).toEqual([1, 2]);
    await until(() => clientPings() >= 2 && serverPings() >= 5, 'pings both ways', 15_000);
    await connection.stop();
    await sleep(50);

    expect(invoked).toEqual([
      ['ada', 'from client'],
      ['ada'],
    ]);

    const { channel: ch, decoded, lines, timings } = analyse(events);
    expect(ch.protocol).toBe('signalr');
    // Recognised from its frames alone too (no telling URL or subprotocol).
    expect(analyse(framesOnly(events)).channel.protocol).toBe('signalr');
    expect(fallbacks(decoded, 'signalr')).toEqual([]);
    const nonPing = lines.filter((l) => !l.endsWith(' signalr ping'));
    expect(nonPing).toEqual([
      'out handshake signalr handshake json v1',
      'in handshake signalr handshake response',
      'in data signalr invocation "ReceiveMessage"',
      'in data signalr invocation "ReceiveMessage"',
      'in data signalr invocation "ReceiveMessage"',
      'out data signalr invocation "SendMessage" id=0',
      'in ack signalr completion id=0',
      'out data signalr invocation "Typing"',
      'out data signalr invocation "Fail" id=1',
      `in error signalr completion id=1 error "An unexpected error occurred invoking 'F…"`,
      'out data signalr stream invocation "Counter" id=2',
      'in data signalr stream item id=2',
      'in data signalr stream item id=2',
      'in ack signalr completion id=2',
      'out close signalr close',
    ]);
    expect(lines.filter((l) => l === 'in heartbeat signalr ping').length).toBe(serverPings());
    expect(lines.filter((l) => l === 'out heartbeat signalr ping').length).toBe(clientPings());
    // The client pings once right after the handshake (HubConnection.ts _startInternal), then
    // when it has sent nothing for keepAliveIntervalInMilliseconds.
    expect(lines.filter((l) => l.startsWith('out ')).slice(0, 2)).toEqual(['out handshake signalr handshake json v1', 'out heartbeat signalr ping']);
    expect(ch.heartbeat).toMatchObject({ source: 'protocol' });
    // Both sides ping on their own timers: neither side's beats are replies.
    expect(ch.heartbeat!.direction).toBe('both');
    expect(ch.heartbeat!.intervalMs).toBeGreaterThanOrEqual(400);
    expect(ch.heartbeat!.intervalMs).toBeLessThan(1_100);
    expect(timings).toBe(SIGNALR_TIMINGS);
  }, 30_000);

  it("labels the server's Close with its error and allowReconnect", async () => {
    server = await startServer((socket) =>
      serveSignalrHub(socket, {
        onHandshake: (h) => setTimeout(() => h.send({ type: 7, error: 'Server is shutting down.', allowReconnect: true }), 50),
      }),
    );
    const events: CaptureEvent[] = [];
    const connection = new HubConnectionBuilder()
      .withUrl(`http://127.0.0.1:${server.port}/chathub`, {
        transport: HttpTransportType.WebSockets,
        skipNegotiation: true,
        WebSocket: recordingWebSocket(events),
      } as IHttpConnectionOptions)
      .configureLogging(LogLevel.None)
      .build();
    let closedWith: Error | undefined;
    connection.onclose((e) => (closedWith = e));
    await connection.start();
    await until(() => closedWith !== undefined, 'close');
    expect(closedWith!.message).toContain('Server is shutting down.');
    const { channel: ch, lines } = analyse(events);
    expect(ch.protocol).toBe('signalr');
    expect(lines).toEqual([
      'out handshake signalr handshake json v1',
      'in handshake signalr handshake response',
      'out heartbeat signalr ping',
      'in close signalr close "Server is shutting down." (allowReconnect)',
    ]);
  }, 20_000);

  it('negotiates over HTTP first (the default), then connects with the token', async () => {
    let negotiateUrl = '';
    let socketUrl = '';
    server = await startServer(
      (socket, req) => {
        socketUrl = req.url ?? '';
        serveSignalrHub(socket, { onHandshake: (h) => h.send({ type: 1, target: 'ReceiveMessage', arguments: ['server', 'hello'] }) });
      },
      undefined,
      (req, res) => {
        negotiateUrl = `${req.method} ${req.url}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(signalrNegotiateResponse('token-1'));
      },
    );
    const events: CaptureEvent[] = [];
    const connection = new HubConnectionBuilder()
      .withUrl(`http://127.0.0.1:${server.port}/chathub`, {
        transport: HttpTransportType.WebSockets,
        WebSocket: recordingWebSocket(events),
        httpClient: new RecordingHttpClient(events),
      } as IHttpConnectionOptions)
      .configureLogging(LogLevel.None)
      .build();
    let received = '';
    connection.on('ReceiveMessage', (_user: string, text: string) => (received = text));
    await connection.start();
    await until(() => received === 'hello', 'the invocation');
    await connection.stop();
    await sleep(50);

    expect(negotiateUrl).toBe('POST /chathub/negotiate?negotiateVersion=1');
    expect(socketUrl).toBe('/chathub?id=token-1');
    const { channel: ws, lines } = analyse(events);
    expect(ws.protocol).toBe('signalr');
    expect(lines.slice(0, 2)).toEqual(['out handshake signalr handshake json v1', 'in handshake signalr handshake response']);
    const analyzer = new Analyzer();
    analyzer.ingest(events);
    const negotiate = analyzer.report().channels.find((c) => c.transport === 'fetch')!;
    expect(negotiate.protocol).toBe('signalr');
    const end = analyzer.channelEvents(negotiate.id).find((e) => e.type === 'http.end')!;
    const body = decodeMessage('signalr', (end as Extract<CaptureEvent, { type: 'http.end' }>).body!, 'in');
    expect(`${body.role} ${body.label}`).toBe('handshake signalr negotiate v1: WebSockets, ServerSentEvents, LongPolling');
  }, 20_000);

  it('defaults match the client: ping after 15 s idle, server timeout 30 s', () => {
    const hub = libSource('@microsoft/signalr', 'src/HubConnection.ts');
    expect(hub).toContain('const DEFAULT_TIMEOUT_IN_MS: number = 30 * 1000;');
    expect(hub).toContain('const DEFAULT_PING_INTERVAL_IN_MS: number = 15 * 1000;');
    expect(SIGNALR_TIMINGS).toMatchObject({ heartbeatMs: 15_000, heartbeatDirection: 'both', idleOnly: true, timeoutMs: 30_000 });
    expect(SIGNALR_TIMINGS.source).toContain(`@microsoft/signalr ${libVersion('@microsoft/signalr')}`);
  });
});

/** The page hooks' view of SignalR's HTTP requests (negotiate): request, response, body. */
class RecordingHttpClient extends DefaultHttpClient {
  constructor(private readonly events: CaptureEvent[]) {
    super(NullLogger.instance);
  }

  override async send(request: HttpRequest): Promise<HttpResponse> {
    const conn = nextConn();
    const url = request.url ?? '';
    const bodySize = typeof request.content === 'string' ? Buffer.byteLength(request.content) : (request.content?.byteLength ?? 0);
    this.events.push({ ...eventBase(), conn, type: 'http.request', transport: 'fetch', method: request.method ?? 'GET', url, headers: [], bodySize });
    const response = await super.send(request);
    const text = typeof response.content === 'string' ? response.content : '';
    this.events.push({ ...eventBase(), conn, type: 'http.response', status: response.statusCode, statusText: response.statusText ?? '', headers: [], url, contentType: 'application/json' });
    const size = Buffer.byteLength(text);
    this.events.push({ ...eventBase(), conn, type: 'http.end', size, bodyHash: null, body: { size, encoding: 'text', data: text, truncated: false } });
    return response;
  }
}
