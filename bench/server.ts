/**
 * The local workload server (127.0.0.1, random port): the bench page, small
 * JSON and 1 MiB responses, an SSE stream and a WebSocket endpoint that floods
 * or sinks on command. Payloads are built once so the server's own cost is the
 * same in every set-up.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PAGE_HTML } from './page.ts';

export interface BenchServer {
  origin: string;
  wsOrigin: string;
  /** Serve `body` at `path` (JSON, readable cross-origin, e.g. by the panel page). */
  serve(path: string, body: string | Buffer): void;
  close(): Promise<void>;
}

const MIB = 1 << 20;

/** A JSON-like text body of exactly `size` bytes (ASCII). */
export function jsonText(size: number, seed = 0): string {
  const head = `{"seed":${seed},"items":"`;
  const tail = '"}';
  const fill = Math.max(0, size - head.length - tail.length);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  while (body.length < fill) body += alphabet;
  return head + body.slice(0, fill) + tail;
}

const BIG_BODY = Buffer.from(jsonText(MIB));
/** A polled status document of about 1.2 KiB, the same on every poll (as most polls are). */
const POLL_BODY = JSON.stringify({
  updated: '2026-12-01T00:00:00Z',
  services: Array.from({ length: 24 }, (_, i) => ({ name: `service-${i}`, state: i % 7 ? 'ok' : 'degraded', latencyMs: 20 + ((i * 37) % 80) })),
});

/** A small realistic JSON message, e.g. a chat or ticker update. */
function smallMessage(i: number): string {
  return `{"type":"tick","i":${i},"price":${(100 + (i % 97) / 7).toFixed(3)},"sym":"ABC"}`;
}

async function sendRespectingBackpressure(ws: WebSocket, data: string | Buffer): Promise<void> {
  ws.send(data);
  // ws keeps unsent frames in memory; wait for the socket to drain past a few MiB.
  if (ws.bufferedAmount > 8 * MIB) {
    const socket = (ws as unknown as { _socket: NodeJS.EventEmitter })._socket;
    while (ws.bufferedAmount > 2 * MIB && ws.readyState === ws.OPEN) await Promise.race([once(socket, 'drain'), once(ws, 'close')]);
  }
}

/** Commands the page sends on its WebSocket (text): `flood <n> <size>`, `pace <n> <perSecond>` or `sink <n>`. */
function onSocket(ws: WebSocket): void {
  let sinkExpected = 0;
  let sinkSeen = 0;
  // A page closed mid-flood (a run stopped at its time cap) resets the socket: not an error of the bench.
  ws.on('error', () => {});
  ws.on('message', (raw, isBinary) => void onMessage(raw, isBinary).catch(() => ws.terminate()));
  const onMessage = async (raw: import('ws').RawData, isBinary: boolean) => {
    if (sinkExpected > 0) {
      sinkSeen++;
      if (sinkSeen === sinkExpected) {
        sinkExpected = 0;
        ws.send('done');
      }
      return;
    }
    const text = isBinary ? '' : raw.toString();
    const [cmd, a, b] = text.split(' ');
    if (cmd === 'flood') {
      const n = Number(a);
      const size = Number(b);
      const big = size > 0 ? jsonText(size) : null;
      for (let i = 0; i < n && ws.readyState === ws.OPEN; i++) {
        await sendRespectingBackpressure(ws, big ?? smallMessage(i));
      }
    } else if (cmd === 'pace') {
      // A steady stream: every 10 ms, the messages due by then.
      const n = Number(a);
      const perSecond = Number(b);
      const start = performance.now();
      let sent = 0;
      const timer = setInterval(() => {
        const due = Math.min(n, Math.floor(((performance.now() - start) / 1000) * perSecond));
        while (sent < due && ws.readyState === ws.OPEN) ws.send(smallMessage(sent++));
        if (sent >= n || ws.readyState !== ws.OPEN) clearInterval(timer);
      }, 10);
    } else if (cmd === 'sink') {
      sinkExpected = Number(a);
      sinkSeen = 0;
      ws.send('ready');
    }
  };
}

/** An SSE stream of n events: as fast as it can in chunks of 500, or perSecond events a second (every 10 ms, those due by then). */
async function sse(req: IncomingMessage, res: ServerResponse, n: number, perSecond: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  const perChunk = 500;
  const start = performance.now();
  for (let i = 0; i < n && !req.destroyed; ) {
    const end = perSecond > 0 ? Math.min(n, Math.floor(((performance.now() - start) / 1000) * perSecond)) : Math.min(n, i + perChunk);
    if (end <= i) {
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    let chunk = '';
    for (let j = i; j < end; j++) chunk += `id: ${j}\ndata: ${smallMessage(j)}\n\n`;
    i = end;
    if (!res.write(chunk)) await once(res, 'drain');
  }
  // The page closes the EventSource after the last event; `retry` keeps a late reconnect away.
  res.write('retry: 600000\nevent: end\ndata: end\n\n');
  res.end();
}

/** Start the workload server. */
export async function startBenchServer(): Promise<BenchServer> {
  const served = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const extra = served.get(url.pathname);
    if (extra) {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
      res.end(extra);
    } else if (url.pathname === '/' || url.pathname === '/bench.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE_HTML);
    } else if (url.pathname === '/small') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ id: url.searchParams.get('i'), ok: true, items: [1, 2, 3], note: 'small json' }));
    } else if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BIG_BODY.length, 'cache-control': 'no-store' });
      res.end(BIG_BODY);
    } else if (url.pathname === '/sse') {
      sse(req, res, Number(url.searchParams.get('n') ?? 1000), Number(url.searchParams.get('perSecond') ?? 0)).catch(() => res.destroy());
    } else if (url.pathname === '/poll') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(POLL_BODY);
    } else {
      res.writeHead(404).end();
    }
  });
  server.keepAliveTimeout = 60_000;
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
  wss.on('connection', onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    wsOrigin: `ws://127.0.0.1:${port}`,
    serve(path, body) {
      served.set(path, typeof body === 'string' ? Buffer.from(body) : body);
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
