/**
 * Captures for the panel component tests, built with the core's event builders
 * (the same shapes the page hooks emit): a wasteful polling loop, a socket.io
 * WebSocket with engine.io pings, chat events and a binary frame, and an
 * EventSource with named events, a comment and a reconnect.
 */
import type { CaptureEvent } from '../../src/core/events.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

/** A page with three channels: polling (mostly unchanged responses), socket.io over WebSocket, and SSE. */
export function threeChannelCapture(): CaptureEvent[] {
  const b = new CaptureBuilder();
  b.docStart(T0 - 50, 'http://127.0.0.1/demo', 'Demo');
  for (let i = 0; i < 20; i++) {
    b.http({ at: T0 + i * 2000, url: 'http://127.0.0.1/api/poll', durationMs: 30, body: i < 15 ? '{"items":[],"v":1}' : `{"items":[${i}],"v":${i}}` });
  }
  const ws = b.wsCreate(T0 + 10, 'ws://127.0.0.1/socket.io/?EIO=4&transport=websocket');
  b.wsOpen(T0 + 20, ws);
  b.wsMsg(T0 + 21, ws, 'in', '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
  b.wsMsg(T0 + 22, ws, 'out', '40');
  b.wsMsg(T0 + 23, ws, 'in', '40{"sid":"def"}');
  for (let i = 0; i < 4; i++) {
    b.wsMsg(T0 + 25_000 * (i + 1), ws, 'in', '2');
    b.wsMsg(T0 + 25_000 * (i + 1) + 2, ws, 'out', '3');
    b.wsMsg(T0 + 25_000 * (i + 1) + 500, ws, 'in', `42["chat",{"from":"alice","text":"hello ${i}"}]`);
  }
  b.push({ seq: 0, pseq: 0, t: T0 + 101_000, frameId: 0, doc: 'doc1', conn: ws, type: 'ws.message', dir: 'in', data: { size: 4, encoding: 'binary', data: btoa('\u0001\u0002AB'), truncated: false } });
  b.wsClose(T0 + 102_000, ws, 4001, 'bye');
  const es = b.esCreate(T0 + 30, 'http://127.0.0.1/events');
  b.esOpen(T0 + 40, es);
  b.esMsg(T0 + 1000, es, '{"price":1}', { event: 'tick', id: '1' });
  b.esMsg(T0 + 2000, es, '{"price":2}', { event: 'tick', id: '2' });
  b.esError(T0 + 3000, es, 0);
  b.esOpen(T0 + 6000, es);
  b.esMsg(T0 + 7000, es, '{"price":3}', { event: 'tick', id: '3' });
  return b.sorted().map((e, i) => ({ ...e, seq: i + 1 }));
}
