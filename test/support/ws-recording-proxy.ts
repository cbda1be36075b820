/**
 * A WebSocket proxy on 127.0.0.1 that records what the page hooks would emit for
 * every connection a real client library opens through it (ws.create with the URL
 * and subprotocols as the client asked, ws.open, each frame in both directions as
 * text or binary, ws.close), and passes everything on to the real server. For
 * libraries whose Node build does not take a WebSocket class to record with
 * (socket.io-client, mqtt.js).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { CaptureEvent, Payload } from '../../src/core/events.ts';

export interface RecordingProxy {
  port: number;
  events: CaptureEvent[];
  close(): Promise<void>;
}

function payload(data: RawData, isBinary: boolean): Payload {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isBinary
    ? { size: bytes.length, encoding: 'binary', data: bytes.toString('base64'), truncated: false }
    : { size: bytes.length, encoding: 'text', data: bytes.toString('utf8'), truncated: false };
}

/** Start a recording proxy in front of the WebSocket server on `targetPort`; events are stamped as document `doc`. */
export async function startRecordingProxy(targetPort: number, doc = 'proxy'): Promise<RecordingProxy> {
  const events: CaptureEvent[] = [];
  let pseq = 0;
  let conns = 0;
  const base = () => ({ seq: ++pseq, pseq, t: performance.timeOrigin + performance.now(), frameId: 0, doc });
  const peers = new Set<WebSocket>();
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (protocols, req) => (req as IncomingMessage & { negotiated?: string }).negotiated || false });
  server.on('upgrade', (req: IncomingMessage & { negotiated?: string }, socket, head) => {
    const conn = `${doc}:${++conns}`;
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    events.push({ ...base(), conn, type: 'ws.create', url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}${req.url}`, protocols });
    const upstream = new WebSocket(`ws://127.0.0.1:${targetPort}${req.url}`, protocols, { perMessageDeflate: false });
    peers.add(upstream);
    upstream.once('error', () => socket.destroy());
    upstream.once('open', () => {
      req.negotiated = upstream.protocol;
      wss.handleUpgrade(req, socket, head, (client) => {
        peers.add(client);
        events.push({ ...base(), conn, type: 'ws.open', protocol: client.protocol, extensions: '' });
        client.on('message', (data, isBinary) => {
          events.push({ ...base(), conn, type: 'ws.message', dir: 'out', data: payload(data, isBinary) });
          upstream.send(data, { binary: isBinary });
        });
        upstream.on('message', (data, isBinary) => {
          events.push({ ...base(), conn, type: 'ws.message', dir: 'in', data: payload(data, isBinary) });
          client.send(data, { binary: isBinary });
        });
        let closed = false;
        const close = (code: number, reason: Buffer, initiator: 'client' | 'server') => {
          if (closed) return;
          closed = true;
          events.push({ ...base(), conn, type: 'ws.close', code, reason: reason.toString(), wasClean: code !== 1006, initiator });
        };
        client.on('close', (code, reason) => {
          close(code, reason, 'client');
          upstream.close();
        });
        upstream.on('close', (code, reason) => {
          close(code, reason, 'server');
          client.close(code === 1005 || code === 1006 ? 1000 : code, reason);
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    events,
    async close() {
      for (const p of peers) p.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
