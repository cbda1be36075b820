/**
 * Shared harness of the protocol-real-* tests: a real client library runs in
 * Node against a small local server, through a WebSocket class that records
 * what the page hooks would emit (create, open, messages both ways, close);
 * then the analysis core reads the recording.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { CaptureEvent, Direction, Payload } from '../../src/core/events.ts';
import { Analyzer } from '../../src/core/index.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';
import { channelTimings, decodeMessages, type DecodedMessage, type ProtocolTimings } from '../../src/core/protocols/index.ts';

const now = () => performance.timeOrigin + performance.now();

function payloadOf(data: unknown): Payload {
  if (typeof data === 'string') return { size: Buffer.byteLength(data), encoding: 'text', data, truncated: false };
  let bytes: Buffer;
  if (Buffer.isBuffer(data)) bytes = data;
  else if (data instanceof ArrayBuffer) bytes = Buffer.from(data);
  else if (ArrayBuffer.isView(data)) bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  else if (Array.isArray(data)) bytes = Buffer.concat(data as Buffer[]);
  else return { size: String(data).length, encoding: 'text', data: String(data), truncated: false };
  return { size: bytes.length, encoding: 'binary', data: bytes.toString('base64'), truncated: false };
}

let pseq = 0;
let connections = 0;

/** The fields every capture event carries (one document, 'node'). */
export function eventBase() {
  const t = now();
  return { seq: ++pseq, pseq, t, frameId: 0, doc: 'node' };
}

/** A fresh request/connection id. */
export function nextConn(): string {
  return `node:${++connections}`;
}

/** A WebSocket class that records what the page hooks would see, for every socket a library creates. */
export function recordingWebSocket(events: CaptureEvent[]) {
  const base = eventBase;
  return class RecordingWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[], options?: ConstructorParameters<typeof WebSocket>[2]) {
      super(url, protocols, options);
      const conn = nextConn();
      const list = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols];
      events.push({ ...base(), conn, type: 'ws.create', url: String(url), protocols: list });
      let closedByPage = false;
      const close = this.close.bind(this);
      this.close = (code?: number, reason?: string | Buffer) => {
        closedByPage = true;
        close(code, reason);
      };
      const send = this.send.bind(this) as (...args: unknown[]) => void;
      this.send = ((data: unknown, ...rest: unknown[]) => {
        if (this.readyState === WebSocket.OPEN) events.push({ ...base(), conn, type: 'ws.message', dir: 'out', data: payloadOf(data) });
        send(data, ...rest);
      }) as WebSocket['send'];
      this.addEventListener('open', () => events.push({ ...base(), conn, type: 'ws.open', protocol: this.protocol, extensions: this.extensions }));
      this.addEventListener('message', (e) => events.push({ ...base(), conn, type: 'ws.message', dir: 'in', data: payloadOf(e.data) }));
      this.addEventListener('error', () => events.push({ ...base(), conn, type: 'ws.error' }));
      this.addEventListener('close', (e) =>
        events.push({ ...base(), conn, type: 'ws.close', code: e.code, reason: e.reason, wasClean: e.wasClean, initiator: closedByPage ? 'client' : 'server' }),
      );
    }
  };
}

export interface TestServer {
  port: number;
  wss: WebSocketServer;
  close(): Promise<void>;
}

/**
 * A ws server on 127.0.0.1 (random port). `onConnection` gets each socket and
 * its upgrade request; `selectProtocol` picks a subprotocol from the client's list.
 */
export async function startServer(
  onConnection: (socket: WebSocket, req: IncomingMessage) => void,
  selectProtocol?: (protocols: Set<string>) => string | false,
  onRequest?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const server: Server = createServer((req, res) => {
    if (onRequest) onRequest(req, res);
    else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, ...(selectProtocol ? { handleProtocols: selectProtocol } : {}) });
  wss.on('connection', onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    wss,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { rawText } from '../support/protocol-servers.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `test` holds, polling every 20 ms; rejects after `timeoutMs` with `what`. */
export async function until(test: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!test()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export interface Analysed {
  channel: ChannelReport;
  /** Each WebSocket message of the channel as the core decodes it, in order. */
  decoded: Array<DecodedMessage & { dir: Direction }>;
  /** `<dir> <role> <label>` per message. */
  lines: string[];
  /** The timings the core uses for the channel (negotiated, else library defaults). */
  timings: ProtocolTimings | null;
}

/** Analyse a capture and the one WebSocket channel in it. */
export function analyse(events: readonly CaptureEvent[]): Analysed {
  const analyzer = new Analyzer();
  analyzer.ingest(events);
  const report = analyzer.report();
  const sockets = report.channels.filter((c) => c.transport === 'websocket');
  if (sockets.length !== 1) throw new Error(`expected one WebSocket channel, got ${report.channels.map((c) => c.url).join(', ')}`);
  const channel = sockets[0]!;
  const messages = analyzer
    .channelEvents(channel.id)
    .filter((e): e is Extract<CaptureEvent, { type: 'ws.message' }> => e.type === 'ws.message')
    .map((e) => ({ dir: e.dir, data: e.data }));
  const decoded = decodeMessages(channel.protocol, messages).map((d, i) => ({ ...d, dir: messages[i]!.dir }));
  return {
    channel,
    decoded,
    lines: decoded.map((d) => `${d.dir} ${d.role} ${d.label}`),
    timings: channel.protocol ? channelTimings(channel.protocol, messages) : null,
  };
}

/**
 * Messages a decoder did not understand: it falls back to `<id> text "..."` /
 * `<id> binary N B` (util.ts plainMessage).
 */
export function fallbacks(decoded: readonly DecodedMessage[], id: string): string[] {
  const esc = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const plain = new RegExp(`^${esc} (text "|binary \\d+ B$)`);
  return decoded.filter((d) => plain.test(d.label)).map((d) => d.label);
}

const NODE_MODULES = join(import.meta.dirname, '..', '..', 'node_modules');

/** A file of an installed package, read as text (package exports do not hide it). */
export function libSource(pkg: string, path: string): string {
  return readFileSync(join(NODE_MODULES, pkg, path), 'utf8');
}

/** The installed version of a package. */
export function libVersion(pkg: string): string {
  return (JSON.parse(libSource(pkg, 'package.json')) as { version: string }).version;
}

/**
 * The same capture with nothing but the frames to go by: a neutral URL and no
 * subprotocols (a page behind a proxy path, or a server that ignores them).
 */
export function framesOnly(events: readonly CaptureEvent[]): CaptureEvent[] {
  return events.map((e) => {
    if (e.type === 'ws.create') return { ...e, url: 'ws://example.test/live', protocols: [] };
    if (e.type === 'ws.open') return { ...e, protocol: '' };
    return e;
  });
}
