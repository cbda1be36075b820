/**
 * A real local server for the browser tests: node http + the `ws` package on
 * 127.0.0.1, port 0. Serves registered HTML pages and a fixed set of endpoints
 * (JSON, text, binary, SSE with named events/ids/retry/comments, NDJSON stream,
 * echo) and a WebSocket endpoint driven by the client's own messages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface TestServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** ws://127.0.0.1:<port> */
  wsOrigin: string;
  /** Serve `html` at `path`. */
  page(path: string, html: string): void;
  /** Requests seen, in order (method and path with query). */
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  /** `id` query values of requests whose client went away before the response ended. */
  abandoned: Set<string>;
  /** WebSocket connections currently open on the server. */
  sockets: Set<WebSocket>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes 0..n-1 (mod 256): a binary body whose content the tests can predict. */
export function byteRamp(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 256;
  return b;
}

/** The SSE stream served at /sse: named events, ids, multi-line data, retry and a comment. */
export const SSE_BODY =
  ': hello comment\n' +
  'retry: 2500\n' +
  'id: 1\n' +
  'data: first\n\n' +
  'event: tick\n' +
  'id: 2\n' +
  'data: {"n":2}\n\n' +
  'event: tock\n' +
  'data: line one\n' +
  'data: line two\n\n' +
  'id: 3\n' +
  'data: last\n\n';

/** Paced streams waiting for their client's next /pace request, by id. */
const pacers = new Map<string, () => void>();

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  pages: Map<string, string>,
  abandoned: Set<string>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const html = pages.get(url.pathname);
  if (html !== undefined) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
    return;
  }
  switch (url.pathname) {
    case '/abandoned': {
      // Whether the client of the request with this id went away before its response ended.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(abandoned.has(url.searchParams.get('which') ?? '')));
      return;
    }
    case '/json': {
      const body = JSON.stringify({ ok: true, n: Number(url.searchParams.get('n') ?? 1) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-test': 'yes' });
      res.end(body);
      return;
    }
    case '/given': {
      // The bytes given in ?b= (base64url) with the ?type= given: with a declared length, or
      // chunked in ?split= parts ?gap= ms apart (30), the last left out and the connection reset with ?cut=1.
      const body = Buffer.from(url.searchParams.get('b') ?? '', 'base64url');
      const type = url.searchParams.get('type') ?? 'application/json';
      const split = Number(url.searchParams.get('split') ?? 0);
      if (split === 0) {
        res.writeHead(200, { 'content-type': type, 'content-length': body.length });
        res.end(body);
        return;
      }
      res.writeHead(200, { 'content-type': type });
      const step = Math.ceil(body.length / split);
      const cut = url.searchParams.get('cut') === '1';
      for (let at = 0; at < body.length; at += step) {
        if (cut && at + step >= body.length) {
          res.socket?.destroy();
          return;
        }
        res.write(body.subarray(at, at + step));
        await sleep(Number(url.searchParams.get('gap') ?? 30));
      }
      res.end();
      return;
    }
    case '/text': {
      const body = 'héllo wörld';
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    case '/doc.xml': {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end('<root><item id="1">x</item></root>');
      return;
    }
    case '/bytes': {
      const n = Number(url.searchParams.get('n') ?? 300);
      const body = byteRamp(n);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
      res.end(body);
      return;
    }
    case '/large': {
      // A JSON document of declared length, ~`n` chars: letters, with '#' at char `at` of its text (a deep change).
      const n = Number(url.searchParams.get('n') ?? 300_000);
      const change = Number(url.searchParams.get('at') ?? -1);
      const unit = url.searchParams.get('unit') ?? '';
      let text = unit ? unit.repeat(n) : Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
      if (change >= 0) text = text.slice(0, change) + '#' + text.slice(change + 1);
      const whole = Buffer.from(JSON.stringify({ text }));
      // ?bad=1: the document's last char left out (not JSON).
      const body = url.searchParams.get('bad') ? whole.subarray(0, whole.length - 1) : whole;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    case '/echo': {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' });
      res.end(body);
      return;
    }
    case '/status': {
      const code = Number(url.searchParams.get('code') ?? 204);
      res.writeHead(code, code === 204 ? {} : { 'content-type': 'text/plain' });
      res.end(code === 204 ? undefined : `status ${code}`);
      return;
    }
    case '/slow': {
      await sleep(Number(url.searchParams.get('ms') ?? 2000));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('slow');
      return;
    }
    case '/sse': {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      // Split the stream at awkward places (inside a field name, between CR and LF) to exercise the parser.
      const body = url.searchParams.get('crlf') ? SSE_BODY.replace(/\n/g, '\r\n') : SSE_BODY;
      // With ?crlf=1 the cuts at 16, 49 and 88 fall between a CR and its LF.
      const cuts = [5, 16, 31, 49, 61, 88];
      const id = url.searchParams.get('id');
      let prev = 0;
      for (const cut of cuts) {
        res.write(body.slice(prev, cut));
        prev = cut;
        // Paced by the client when it gives an id (see /ndjson), else 40 ms apart.
        if (id) await new Promise<void>((resolve) => pacers.set(id, resolve));
        else await sleep(40);
      }
      res.write(body.slice(prev));
      if (url.searchParams.get('hold')) {
        // Keep the stream open (a live SSE channel) until the client goes away.
        const timer = setInterval(() => res.write(': ping\n\n'), 200);
        req.on('close', () => clearInterval(timer));
        return;
      }
      res.end();
      return;
    }
    case '/sse-flood': {
      // `n` events with ids 1..n written at once (a flood), then a named `end` event.
      const n = Number(url.searchParams.get('n') ?? 3000);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      let body = '';
      for (let i = 1; i <= n; i++) body += `id: ${i}\ndata: {"i":${i}}\n\n`;
      res.end(`${body}event: end\ndata: done\n\n`);
      return;
    }
    case '/ndjson': {
      // Paced by the client: each record after the first is written when /pace?id= is requested,
      // so every record is a separate read whatever the machine load.
      const id = url.searchParams.get('id');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (let i = 1; i <= 3; i++) {
        if (i > 1 && id) await new Promise<void>((resolve) => pacers.set(id, resolve));
        else if (i > 1) await sleep(100);
        res.write(JSON.stringify({ i }) + '\n');
      }
      res.end();
      return;
    }
    case '/pace': {
      pacers.get(url.searchParams.get('id') ?? '')?.();
      res.writeHead(204);
      res.end();
      return;
    }
    case '/stream': {
      // Chunked text without a streaming media type: never-ending until `n` chunks were sent.
      const n = Number(url.searchParams.get('n') ?? 3);
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 1; i <= n; i++) {
        res.write(`chunk${i};`);
        await sleep(40);
      }
      if (url.searchParams.get('destroy')) {
        // A network drop in the middle of a chunked body: no terminating chunk, TCP reset.
        res.socket?.destroy();
        return;
      }
      if (url.searchParams.get('hold')) {
        // Keep writing until the client goes away (a live stream).
        const timer = setInterval(() => res.write('.'), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.end();
      return;
    }
    default:
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
  }
}

/**
 * WebSocket behaviour, driven by what the client sends:
 * text "close:<code>" → server closes with that code; "terminate" → TCP drop;
 * "bin:<n>" → binary frame of n ramp bytes; "burst:<n>" → n text frames;
 * anything else → echoed back (binary stays binary).
 */
function onSocket(ws: WebSocket): void {
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.send(data, { binary: true });
      return;
    }
    const text = data.toString();
    if (text.startsWith('close:')) {
      const [, code, reason] = text.split(':');
      ws.close(Number(code), reason ?? '');
    } else if (text === 'terminate') {
      ws.terminate();
    } else if (text.startsWith('bin:')) {
      ws.send(byteRamp(Number(text.slice(4))), { binary: true });
    } else if (text.startsWith('burst:')) {
      const n = Number(text.slice(6));
      for (let i = 0; i < n; i++) ws.send(`m${i}`);
    } else {
      ws.send(`echo:${text}`);
    }
  });
}

/** Start the server on 127.0.0.1, random port. */
export async function startServer(): Promise<TestServer> {
  const pages = new Map<string, string>();
  const requests: TestServer['requests'] = [];
  const abandoned = new Set<string>();
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const id = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('id');
    if (id) res.on('close', () => !res.writableFinished && abandoned.add(id));
    handle(req, res, pages, abandoned).catch(() => res.destroy());
  });
  const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('chat.v1') ? 'chat.v1' : false) });
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    onSocket(ws);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    wsOrigin: `ws://127.0.0.1:${port}`,
    page: (path, html) => pages.set(path, html),
    requests,
    abandoned,
    sockets,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
