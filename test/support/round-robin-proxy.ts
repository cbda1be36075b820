/**
 * A load balancer on 127.0.0.1 in front of several real server instances: each HTTP
 * request and each WebSocket upgrade goes to the backend `route` picks (round-robin by
 * default, as nginx's upstream without ip_hash or sticky does per request). Requests are
 * forwarded with their method, path, headers and body; upgrades are piped as raw sockets.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export interface RoundRobinProxy {
  origin: string;
  /** Backend index each request went to, in order (path and index). */
  log: Array<{ path: string; backend: number }>;
  close(): Promise<void>;
}

/** Start the proxy; `route` picks a backend per request (default: round-robin over all requests and upgrades). */
export async function startRoundRobinProxy(backends: readonly Backend[], route?: (req: IncomingMessage, next: number) => number): Promise<RoundRobinProxy> {
  let counter = 0;
  const log: RoundRobinProxy['log'] = [];
  const sockets = new Set<Socket>();
  const pick = (req: IncomingMessage): Backend => {
    const next = counter++ % backends.length;
    const index = route ? route(req, next) : next;
    log.push({ path: req.url ?? '', backend: index });
    return backends[index]!;
  };
  const server: Server = createServer((req, res) => {
    const backend = pick(req);
    const upstream = httpRequest({ host: backend.host, port: backend.port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const backend = pick(req);
    const upstream = connect(backend.port, backend.host, () => {
      let raw = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(`${raw}\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    sockets.add(client);
    const end = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
    upstream.on('close', end);
    client.on('close', end);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
