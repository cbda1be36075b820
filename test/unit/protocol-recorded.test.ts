/**
 * Protocol recognition and decoding on frames recorded from real libraries
 * talking to real servers (test/fixtures/record-protocols.ts): socket.io,
 * engine.io, graphql-ws and sockjs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelTimings, decodeMessage, decodeMessages, detectProtocol, protocolTimings, type DecodedMessage, type ProtocolHint } from '../../src/core/protocols/index.ts';
import type { ProtocolFixture, RecordedChannel } from '../fixtures/record-protocols.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'protocols');

function fixture(name: string): ProtocolFixture {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as ProtocolFixture;
}

/** What the analysis hands a decoder: the channel's URL, subprotocols and first frames. */
function hintOf(channel: RecordedChannel, sampleCount = 8): ProtocolHint {
  return {
    transport: channel.transport,
    url: channel.url,
    requestedProtocols: channel.requestedProtocols,
    negotiatedProtocol: channel.negotiatedProtocol,
    samples: channel.frames.slice(0, sampleCount).map((f) => ({ dir: f.dir, data: f.data })),
  };
}

function channel(f: ProtocolFixture, test: (c: RecordedChannel) => boolean): RecordedChannel {
  const c = f.channels.find(test);
  if (!c) throw new Error(`no such channel in ${f.protocol} fixture`);
  return c;
}

function decodeAll(c: RecordedChannel, id: string): Array<DecodedMessage & { dir: string }> {
  return c.frames.map((f) => ({ ...decodeMessage(id, f.data, f.dir), dir: f.dir }));
}

/** A decoder that did not understand a frame falls back to `<id> text "..."` / `<id> binary N B`. */
function fallbacks(decoded: DecodedMessage[], id: string): string[] {
  return decoded.filter((d) => d.label.startsWith(`${id} text "`) || new RegExp(`^${id.replace('.', '\\.')} binary \\d+ B$`).test(d.label)).map((d) => d.label);
}

describe('socket.io v4 recorded over WebSocket', () => {
  const f = fixture('socket.io-websocket');
  const ws = channel(f, (c) => c.transport === 'websocket');
  const decoded = decodeAll(ws, 'socket.io');

  it('is recognised as socket.io (engine.io protocol 4) from the URL and frames', () => {
    expect(detectProtocol(hintOf(ws))).toEqual({ id: 'socket.io', confidence: 0.95 });
    // Frames alone, without the /socket.io/ URL, still say socket.io.
    expect(detectProtocol({ ...hintOf(ws), url: 'ws://example.test/custom' })?.id).toBe('socket.io');
  });

  it('decodes every frame, none as a fallback', () => {
    expect(fallbacks(decoded, 'socket.io')).toEqual([]);
  });

  it('labels the session like a developer would read it', () => {
    const labels = decoded.map((d) => `${d.dir} ${d.role} ${d.label}`);
    expect(labels).toEqual(
      expect.arrayContaining([
        'in handshake engine.io open pingInterval=300',
        'out handshake socket.io CONNECT',
        'in handshake socket.io CONNECT',
        'in data socket.io EVENT "welcome"',
        'out data socket.io EVENT "chat" id=0',
        'in ack socket.io ACK id=0',
        'in data socket.io EVENT "chat"',
        'out data socket.io BINARY_EVENT "upload" id=1 (1 attachment)',
        'out data socket.io binary attachment 4 B',
        'in ack socket.io ACK id=1',
        'out handshake socket.io CONNECT nsp=/private',
        'in error socket.io CONNECT_ERROR "not authorized" nsp=/private',
        'out close socket.io DISCONNECT',
      ]),
    );
    const open = decoded[0]!.value as { handshake: { pingInterval: number; pingTimeout: number } };
    expect(open.handshake).toMatchObject({ pingInterval: 300, pingTimeout: 200 });
    const event = decoded.find((d) => d.label === 'socket.io EVENT "welcome"')!.value as { args: unknown[] };
    expect(event.args).toEqual([{ text: 'hi' }]);
  });

  it('sees the protocol-4 heartbeat: the server pings, the client pongs', () => {
    const beats = decoded.filter((d) => d.role === 'heartbeat');
    expect(beats.length).toBeGreaterThanOrEqual(4);
    for (const b of beats) expect(`${b.dir} ${b.label}`).toMatch(/^(in engine.io ping|out engine.io pong)$/);
    expect(protocolTimings('socket.io')).toMatchObject({ heartbeatDirection: 'server', heartbeatMs: 25_000 });
  });
});

describe('socket.io v4 recorded over HTTP long-polling', () => {
  const f = fixture('socket.io-polling');
  const polling = channel(f, (c) => c.transport === 'xhr');
  const decoded = decodeAll(polling, 'socket.io');

  it('is recognised from the polling endpoint', () => {
    expect(detectProtocol(hintOf(polling))).toEqual({ id: 'socket.io', confidence: 0.95 });
  });

  it('splits \\x1e-joined payloads and labels the POST acknowledgements', () => {
    expect(fallbacks(decoded, 'socket.io')).toEqual([]);
    // Polling batches whatever is queued: packets are labelled inside each payload.
    const payloads = decoded.filter((d) => d.label.startsWith('socket.io payload ×'));
    expect(payloads.length).toBeGreaterThan(0);
    expect(decoded.some((d) => d.dir === 'in' && /socket\.io EVENT "welcome"/.test(d.label))).toBe(true);
    const oks = decoded.filter((d) => d.label === 'engine.io polling POST ok');
    expect(oks.length).toBe(polling.frames.filter((fr) => fr.dir === 'out').length);
    expect(oks.every((d) => d.role === 'ack' && d.dir === 'in')).toBe(true);
    // A binary attachment travels base64-encoded in a polling POST ("b" prefix).
    expect(decoded.some((d) => d.dir === 'out' && d.label.includes('socket.io binary attachment 4 B'))).toBe(true);
    expect(decoded.some((d) => d.label === 'engine.io close' && d.role === 'close')).toBe(true);
  });
});

describe('socket.io v4 recorded with the polling → WebSocket upgrade', () => {
  const f = fixture('socket.io-upgrade');
  const ws = channel(f, (c) => c.transport === 'websocket');
  const decoded = decodeAll(ws, 'socket.io');

  it('labels the upgrade probe as control traffic, not heartbeat', () => {
    expect(detectProtocol(hintOf(ws))?.id).toBe('socket.io');
    expect(decoded.slice(0, 3).map((d) => `${d.dir} ${d.role} ${d.label}`)).toEqual([
      'out control engine.io ping probe',
      'in control engine.io pong probe',
      'out control engine.io upgrade',
    ]);
    expect(fallbacks(decoded, 'socket.io')).toEqual([]);
  });
});

describe('engine.io recorded without socket.io', () => {
  const f = fixture('engine.io-websocket');
  const ws = channel(f, (c) => c.transport === 'websocket');

  it('is engine.io, not socket.io', () => {
    expect(detectProtocol(hintOf(ws))).toEqual({ id: 'engine.io', confidence: 0.95 });
  });

  it('decodes text and binary messages and heartbeats', () => {
    const labels = decodeAll(ws, 'engine.io').map((d) => `${d.dir} ${d.label}`);
    expect(labels).toEqual(
      expect.arrayContaining(['in engine.io message "hello from engine.io"', 'out engine.io message "echo me"', 'out engine.io binary message 3 B', 'in engine.io ping', 'out engine.io pong']),
    );
  });
});

describe('graphql-ws recorded (graphql-transport-ws)', () => {
  const f = fixture('graphql-ws');
  const ws = channel(f, (c) => c.transport === 'websocket');
  const decoded = decodeAll(ws, 'graphql-ws');

  it('is recognised from the negotiated subprotocol, and from frames alone', () => {
    expect(ws.negotiatedProtocol).toBe('graphql-transport-ws');
    expect(detectProtocol(hintOf(ws))).toEqual({ id: 'graphql-ws', confidence: 0.95 });
    const framesOnly = { ...hintOf(ws), requestedProtocols: [], negotiatedProtocol: '' };
    expect(detectProtocol(framesOnly)?.id).toBe('graphql-ws');
  });

  it('gives the legacy protocol the "graphql-ws" subprotocol name', () => {
    const legacyName = { ...hintOf(ws, 0), requestedProtocols: ['graphql-ws'], negotiatedProtocol: 'graphql-ws' };
    expect(detectProtocol(legacyName)?.id).toBe('subscriptions-transport-ws');
  });

  it('labels each message with its type and operation id', () => {
    expect(fallbacks(decoded, 'graphql-ws')).toEqual([]);
    const roles = decoded.map((d) => `${d.dir} ${d.role} ${d.label.replace(/id=[0-9a-f-]+/, 'id=*')}`);
    expect(roles.slice(0, 7)).toEqual([
      'out handshake graphql-ws connection_init',
      'in handshake graphql-ws connection_ack',
      'out data graphql-ws subscribe id=* subscription Greetings',
      'in data graphql-ws next id=*',
      'in data graphql-ws next id=*',
      'in data graphql-ws next id=*',
      'in control graphql-ws complete id=*',
    ]);
    expect(roles).toContain('in error graphql-ws error id=*');
    expect(roles).toContain('out heartbeat graphql-ws ping');
    expect(roles).toContain('in heartbeat graphql-ws pong');
  });

  it('says that the server keep-alive is a control frame that page script cannot see', () => {
    expect(protocolTimings('graphql-ws')).toMatchObject({ heartbeatMs: 12_000, heartbeatLevel: 'control-frame', heartbeatDirection: 'server' });
  });
});

describe('subscriptions-transport-ws recorded (legacy, subprotocol "graphql-ws")', () => {
  const f = fixture('subscriptions-transport-ws');
  const ws = channel(f, (c) => c.transport === 'websocket');
  const decoded = decodeAll(ws, 'subscriptions-transport-ws');

  it('is recognised from the "graphql-ws" subprotocol, which is not the graphql-ws library\'s', () => {
    expect(ws.negotiatedProtocol).toBe('graphql-ws');
    expect(detectProtocol(hintOf(ws))).toEqual({ id: 'subscriptions-transport-ws', confidence: 0.95 });
    expect(detectProtocol({ ...hintOf(ws), requestedProtocols: [], negotiatedProtocol: '' })?.id).toBe('subscriptions-transport-ws');
  });

  it('labels operations and the server "ka" keep-alives', () => {
    expect(fallbacks(decoded, 'subscriptions-transport-ws')).toEqual([]);
    const labels = decoded.map((d) => `${d.dir} ${d.role} ${d.label}`);
    expect(labels).toEqual(
      expect.arrayContaining([
        'out handshake subscriptions-transport-ws connection_init',
        'out data subscriptions-transport-ws start id=1 subscription Greetings',
        'in handshake subscriptions-transport-ws connection_ack',
        'in data subscriptions-transport-ws data id=1',
        'in control subscriptions-transport-ws complete id=1',
        'out close subscriptions-transport-ws connection_terminate',
      ]),
    );
    const ka = decoded.filter((d) => d.role === 'heartbeat');
    expect(ka.length).toBeGreaterThanOrEqual(3);
    expect(ka.every((d) => d.dir === 'in' && d.label === 'subscriptions-transport-ws ka (keep-alive)')).toBe(true);
  });
});

describe('SockJS recorded with sockjs-client', () => {
  it('WebSocket transport: open, messages both ways, server close', () => {
    const f = fixture('sockjs-websocket');
    const ws = channel(f, (c) => c.transport === 'websocket');
    expect(detectProtocol(hintOf(ws))).toEqual({ id: 'sockjs', confidence: 0.9 });
    expect(detectProtocol({ ...hintOf(ws), url: 'ws://example.test/anything' })?.id).toBe('sockjs');
    const labels = decodeAll(ws, 'sockjs').map((d) => `${d.dir} ${d.role} ${d.label}`);
    expect(labels).toEqual(
      expect.arrayContaining([
        'in handshake sockjs open',
        'in data sockjs message "welcome"',
        'out data sockjs send "hello"',
        'in data sockjs message "hello"',
        'in close sockjs close 3000 "Go away!"',
      ]),
    );
    const info = channel(f, (c) => c.url.includes('/info'));
    expect(detectProtocol(hintOf(info))?.id).toBe('sockjs');
    expect(decodeMessage('sockjs', info.frames[0]!.data, 'in').label).toBe('sockjs info websocket=true');
  });

  it('xhr-streaming: the 2 KiB prelude, then frames and heartbeats as chunks', () => {
    const f = fixture('sockjs-xhr-streaming');
    const stream = channel(f, (c) => c.url.includes('/xhr_streaming'));
    expect(detectProtocol(hintOf(stream))?.id).toBe('sockjs');
    const decoded = decodeAll(stream, 'sockjs');
    expect(fallbacks(decoded, 'sockjs')).toEqual([]);
    expect(decoded.map((d) => d.role)).toContain('heartbeat');
    expect(decoded.flatMap((d) => (Array.isArray(d.value) ? d.value.map((v: { label: string }) => v.label) : [d.label]))).toContain(
      'sockjs streaming prelude (2048 B)',
    );
    const send = channel(f, (c) => c.url.includes('/xhr_send'));
    expect(detectProtocol(hintOf(send))?.id).toBe('sockjs');
  });

  it('xhr-polling: one frame per poll; the heartbeat arrives as "h"', () => {
    const f = fixture('sockjs-xhr-polling');
    const poll = channel(f, (c) => /\/xhr\?/.test(c.url));
    const decoded = decodeAll(poll, 'sockjs');
    expect(decoded[0]).toMatchObject({ role: 'handshake', label: 'sockjs open' });
    expect(decoded.filter((d) => d.role === 'heartbeat').length).toBeGreaterThanOrEqual(1);
    expect(decoded.at(-1)).toMatchObject({ role: 'close', label: 'sockjs close 3000 "Go away!"' });
  });
});

describe('MQTT 3.1.1 recorded (mqtt.js client, aedes broker, over WebSocket)', () => {
  const f = fixture('mqtt-v3.1.1');
  const ws = channel(f, (c) => c.transport === 'websocket');
  const messages = ws.frames.map((fr) => ({ dir: fr.dir, data: fr.data }));
  const decoded = decodeMessages('mqtt', messages).map((d, i) => ({ ...d, dir: ws.frames[i]!.dir }));

  it('is recognised by its subprotocol, and by its frames alone', () => {
    expect(ws.negotiatedProtocol).toBe('mqtt');
    expect(detectProtocol(hintOf(ws))).toEqual({ id: 'mqtt', confidence: 0.95 });
    expect(detectProtocol({ ...hintOf(ws), requestedProtocols: [], negotiatedProtocol: '' })?.id).toBe('mqtt');
  });

  it('reassembles packets split across WebSocket messages (both libraries write each field as its own message)', () => {
    // The recording itself shows the split: the CONNECT starts with a 1-byte message.
    expect(ws.frames[0]!.data.size).toBe(1);
    expect(decodeMessage('mqtt', ws.frames[0]!.data, 'out').label).toBe('mqtt CONNECT (start, 1 B)');
    const whole = decoded.filter((d) => !/\((start|part), \d+ B\)$/.test(d.label)).map((d) => `${d.dir} ${d.role} ${d.label.replace(/id=\d+/, 'id=*')}`);
    expect(whole).toEqual([
      'out handshake mqtt CONNECT v3.1.1 keepalive=1s client=recorder-v4',
      'in handshake mqtt CONNACK rc=0',
      'out control mqtt SUBSCRIBE sensors/+ id=*',
      'in ack mqtt SUBACK id=*',
      'out data mqtt PUBLISH sensors/t1 qos=1 id=* (16 B)',
      'in ack mqtt PUBACK id=*',
      'in data mqtt PUBLISH sensors/t1 qos=1 id=* (16 B)',
      'out ack mqtt PUBACK id=*',
      'out data mqtt PUBLISH sensors/status qos=0 (6 B)',
      'in data mqtt PUBLISH sensors/status qos=0 (6 B)',
      'out heartbeat mqtt PINGREQ',
      'in heartbeat mqtt PINGRESP',
      'out heartbeat mqtt PINGREQ',
      'in heartbeat mqtt PINGRESP',
      'out control mqtt UNSUBSCRIBE sensors/+ id=*',
      'in ack mqtt UNSUBACK id=*',
      'out close mqtt DISCONNECT',
    ]);
    expect(decoded.some((d) => d.label.startsWith('mqtt fragment') || d.label.startsWith('mqtt binary'))).toBe(false);
    const publish = decoded.find((d) => d.dir === 'in' && d.label.startsWith('mqtt PUBLISH sensors/t1'))!.value as { payload: unknown };
    expect(publish.payload).toEqual({ celsius: 21.5 });
  });

  it('the client heartbeat follows keepalive: PINGREQ about once per second of client silence', () => {
    const pings = ws.frames.filter((_, i) => decoded[i]!.label === 'mqtt PINGREQ').map((fr) => fr.t);
    expect(pings.length).toBeGreaterThanOrEqual(2);
    const gap = pings[1]! - pings[0]!;
    expect(gap).toBeGreaterThan(800);
    expect(gap).toBeLessThan(1500);
    expect(protocolTimings('mqtt')).toMatchObject({ heartbeatDirection: 'client', idleOnly: true });
  });
});

describe('timings a recorded connection actually negotiated', () => {
  const frames = (name: string) => fixture(name).channels.find((c) => c.transport === 'websocket')!.frames.map((f) => ({ dir: f.dir, data: f.data }));

  it('socket.io: pingInterval and pingTimeout from the open packet', () => {
    expect(channelTimings('socket.io', frames('socket.io-websocket'))).toMatchObject({ heartbeatMs: 300, timeoutMs: 200, heartbeatDirection: 'server' });
  });

  it('MQTT: the CONNECT keepalive, reassembled from split messages', () => {
    expect(channelTimings('mqtt', frames('mqtt-v3.1.1'))).toMatchObject({ heartbeatMs: 1000, timeoutMs: 1500, heartbeatDirection: 'client' });
  });

  it('protocols without in-band negotiation keep the library defaults', () => {
    expect(channelTimings('graphql-ws', frames('graphql-ws'))).toEqual(protocolTimings('graphql-ws'));
    expect(channelTimings('socket.io', [])).toEqual(protocolTimings('socket.io'));
    expect(channelTimings('json', [])).toBeNull();
  });
});

describe('library defaults are the installed libraries\' own', () => {
  const read = (path: string) => readFileSync(join(import.meta.dirname, '..', '..', 'node_modules', path), 'utf8');

  it('engine.io server pingInterval/pingTimeout', () => {
    const src = read('engine.io/build/server.js');
    const interval = Number(/pingInterval: (\d+)/.exec(src)?.[1]);
    const timeout = Number(/pingTimeout: (\d+)/.exec(src)?.[1]);
    expect(protocolTimings('socket.io')).toMatchObject({ heartbeatMs: interval, timeoutMs: timeout });
    expect(protocolTimings('engine.io')).toMatchObject({ heartbeatMs: interval, timeoutMs: timeout });
  });

  it('mqtt.js keepalive', () => {
    const src = read('mqtt/build/lib/client.js');
    expect(protocolTimings('mqtt')?.heartbeatMs).toBe(Number(/keepalive: (\d+),/.exec(src)?.[1]) * 1000);
  });

  it('sockjs heartbeat_delay', () => {
    const src = read('sockjs/lib/sockjs.js');
    expect(protocolTimings('sockjs')?.heartbeatMs).toBe(Number(/heartbeat_delay: (\d+)/.exec(src)?.[1]));
  });

  it('graphql-ws useServer keepAlive', () => {
    const src = read('graphql-ws/dist/use/ws.js');
    expect(protocolTimings('graphql-ws')?.heartbeatMs).toBe(Number(/keepAlive = ([\de.]+)\)/.exec(src)?.[1]));
  });

  it('every timing cites its source', () => {
    for (const id of ['socket.io', 'socket.io-v2', 'engine.io', 'engine.io-v3', 'sockjs', 'graphql-ws', 'subscriptions-transport-ws', 'phoenix', 'actioncable', 'signalr', 'stomp', 'mqtt', 'centrifugo', 'pusher', 'ddp']) {
      expect(protocolTimings(id)?.source, id).toMatch(/\d+\.\d+/);
    }
    expect(protocolTimings('json')).toBeNull();
    expect(protocolTimings('no-such-protocol')).toBeNull();
  });
});
