/**
 * Protocols whose packets span WebSocket messages (MQTT: mqtt.js and aedes write a
 * packet's fields as separate messages) are labelled in the analysis by decoding each
 * connection in order, across live reports: a packet split over two batches is still
 * one packet. Fed with the frames recorded from the real mqtt.js client and aedes broker.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/core/index.ts';
import { decodeMessages } from '../../src/core/protocols/index.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import type { ProtocolFixture } from '../fixtures/record-protocols.ts';
import { CaptureBuilder } from './core-builders.ts';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'protocols', 'mqtt-v3.1.1.json'), 'utf8')) as ProtocolFixture;

function mqttCapture(): CaptureEvent[] {
  const ws = fixture.channels.find((c) => c.transport === 'websocket')!;
  const b = new CaptureBuilder();
  const t0 = ws.frames[0]!.t - 5;
  const conn = b.wsCreate(t0, ws.url, ws.requestedProtocols);
  b.wsOpen(t0 + 2, conn, ws.negotiatedProtocol);
  ws.frames.forEach((f, i) => b.push({ type: 'ws.message', seq: 3 + i, pseq: 3 + i, t: f.t, frameId: 0, doc: b.doc, conn, dir: f.dir, data: f.data }));
  return b.sorted();
}

describe('packets split across messages, in the analysis', () => {
  it('finds the MQTT client heartbeat (PINGREQ every keepalive second) when events arrive one by one', () => {
    const events = mqttCapture();
    const whole = new Analyzer();
    whole.ingest(events);
    const live = new Analyzer();
    // One event per batch, with a report after each: the split packets cross every batch boundary.
    for (const e of events) {
      live.ingest([e]);
      live.report();
    }
    for (const analyzer of [whole, live]) {
      const ch = analyzer.report().channels.find((c) => c.transport === 'websocket')!;
      expect(ch.protocol).toBe('mqtt');
      expect(ch.heartbeat).toMatchObject({ direction: 'client', source: 'protocol' });
      expect(ch.heartbeat!.intervalMs!).toBeGreaterThan(800);
      expect(ch.heartbeat!.intervalMs!).toBeLessThan(1500);
    }
  });

  it('gives every piece of a packet the role of the whole packet, as decoding the connection in order does', () => {
    const ws = fixture.channels.find((c) => c.transport === 'websocket')!;
    const category = (role: string) => (role === 'heartbeat' ? 'heartbeat' : role === 'data' ? 'data' : 'control');
    const expected = decodeMessages('mqtt', ws.frames.map((f) => ({ dir: f.dir, data: f.data }))).map((d) => category(d.role));
    // The recording has packets split over messages whose later pieces alone look like data.
    expect(expected.filter((r) => r === 'control').length).toBeGreaterThan(10);
    const live = new Analyzer();
    for (const e of mqttCapture()) {
      live.ingest([e]);
      live.report();
    }
    const ch = live.report().channels.find((c) => c.transport === 'websocket')!;
    expect(live.channelSeries(ch.id)!.messages.role).toEqual(expected);
  });
});

describe('packets split across messages, in the panel', () => {
  it("labels every piece in order, as the connection's decoding does, also when the frames arrive in several updates", async () => {
    const { MessageIndex } = await import('../../src/panel/messages.ts');
    const ws = fixture.channels.find((c) => c.transport === 'websocket')!;
    const expected = decodeMessages('mqtt', ws.frames.map((f) => ({ dir: f.dir, data: f.data }))).map((d) => d.label);
    const events = mqttCapture();
    const index = new MessageIndex('mqtt');
    for (let n = 1; n <= events.length; n += 7) index.update(events.slice(0, n));
    index.update(events);
    const labels = index.allRows().filter((r) => r.payload !== null).map((r) => r.label);
    expect(labels).toEqual(expected);
    // Decoded one by one, the later pieces of a split packet would not read as MQTT.
    expect(expected.some((l) => / \((start|part), \d+ B\)$/.test(l))).toBe(true);
  });
});
