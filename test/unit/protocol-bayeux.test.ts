/**
 * Bayeux (faye 1.4.3): the decoder against a real faye NodeAdapter on
 * 127.0.0.1, spoken to with the messages faye's client sends (src/protocol/client.js
 * handshake, connect, subscribe, publish, disconnect), and against frames as
 * faye's transports write them (JSON arrays; JSON-P `/**\/cb([...]);`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import faye from 'faye';
import type { Direction, Payload } from '../../src/core/events.ts';
import { BAYEUX_TIMINGS } from '../../src/core/protocols/bayeux.ts';
import { channelTimings, decodeMessage, detectProtocol, protocolTimings, type ProtocolHint } from '../../src/core/protocols/index.ts';
import { textPayload } from '../../src/core/protocols/util.ts';
import { libSource, libVersion } from './protocol-real-harness.ts';
import { newRecord } from '../../src/core/model.ts';
import { channelProtocolTimings } from '../../src/core/protocol-support.ts';
import { getDecoder } from '../../src/core/protocols/index.ts';

const t = textPayload;
const line = (data: Payload, dir: Direction = 'in') => {
  const d = decodeMessage('bayeux', data, dir);
  return `${d.role} ${d.label}`;
};
const hint = (over: Partial<ProtocolHint>): ProtocolHint => ({
  transport: 'xhr',
  url: 'http://127.0.0.1/faye',
  requestedProtocols: [],
  negotiatedProtocol: '',
  samples: [],
  ...over,
});

let http: Server;
let endpoint: string;
beforeAll(async () => {
  http = createServer();
  // timeout in seconds, as faye takes it (src/engines/proxy.js).
  new faye.NodeAdapter({ mount: '/faye', timeout: 1 }).attach(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(http.address() as AddressInfo).port}/faye`;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

/** POST messages to the faye server as faye's long-polling transport does (src/transport/xhr.js). */
async function post(messages: object[]): Promise<Payload> {
  const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(messages) });
  return t(await res.text());
}

describe('Bayeux against a real faye server', () => {
  it('labels the session: handshake, connect cycle, subscribe, publish, delivery, disconnect', async () => {
    const hs = await post([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' }]);
    const clientId = (JSON.parse(hs.data) as Array<{ clientId: string }>)[0]!.clientId;
    expect(line(hs)).toBe(`handshake bayeux /meta/handshake ok clientId=${clientId} advice reconnect=retry timeout=1000 interval=0 id=1`);

    const sub = await post([{ channel: '/meta/subscribe', clientId, subscription: '/chat', id: '2' }]);
    expect(line(sub)).toBe('control bayeux /meta/subscribe ok /chat id=2');

    // The connect is held until the publish below arrives: its reply and the delivery come in one body.
    const held = post([{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '3' }]);
    await new Promise((r) => setTimeout(r, 100));
    const pub = await post([{ channel: '/chat', data: { text: 'hi' }, clientId, id: '4' }]);
    expect(line(pub)).toBe('ack bayeux publish ok /chat id=4');
    const delivered = await held;
    expect(line(delivered)).toMatch(/^data bayeux batch ×2: bayeux \/meta\/connect ok advice reconnect=retry timeout=1000 interval=0 id=3, bayeux message \/chat id=4$/);

    // An idle connect returns after advice.timeout with the reply alone: the heartbeat of the protocol.
    const started = Date.now();
    const idle = await post([{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '5' }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(line(idle)).toBe('heartbeat bayeux /meta/connect ok advice reconnect=retry timeout=1000 interval=0 id=5');

    expect(line(await post([{ channel: '/meta/disconnect', clientId, id: '6' }]))).toBe('close bayeux /meta/disconnect ok id=6');
    const unknown = await post([{ channel: '/meta/connect', clientId: 'nobody', connectionType: 'long-polling', id: '7' }]);
    expect(line(unknown)).toMatch(/^error bayeux \/meta\/connect failed "401:nobody:Unknown client" advice reconnect=handshake id=7$/);

    // The channel reads as Bayeux from its response bodies alone (request bodies are not captured), not as JSON.
    const samples = [hs, sub, pub, delivered].map((data) => ({ dir: 'in' as const, data }));
    expect(detectProtocol(hint({ url: `${endpoint}?x=1`, samples }))).toMatchObject({ id: 'bayeux' });
    expect(detectProtocol(hint({ url: 'http://127.0.0.1/api/updates', samples }))).toMatchObject({ id: 'bayeux' });
    // The advice of the session sets the heartbeat the analysis expects.
    expect(channelTimings('bayeux', samples)).toMatchObject({ heartbeatMs: 1000, timeoutMs: 1200, heartbeatDirection: 'client' });
  });
});

describe('Bayeux frames as faye writes them', () => {
  it('client frames over WebSocket, JSON-P bodies, failures', () => {
    expect(line(t('[{"channel":"/meta/connect","clientId":"abc","connectionType":"websocket","id":"3"}]'), 'out')).toBe(
      'heartbeat bayeux /meta/connect (websocket) id=3',
    );
    expect(line(t('[{"channel":"/chat","data":{"text":"hi"},"clientId":"abc","id":"4"}]'), 'out')).toBe('data bayeux publish /chat id=4');
    // src/adapters/node_adapter.js: '/**/' + jsonp + '(' + body + ');'
    expect(line(t('/**/__jsonp2__([{"id":"2","clientId":"abc","channel":"/meta/subscribe","successful":true,"subscription":"/a"}]);'))).toBe(
      'control bayeux /meta/subscribe ok /a id=2',
    );
    expect(line(t('[{"channel":"/meta/subscribe","successful":false,"error":"403:/secret:Forbidden channel","subscription":"/secret"}]'))).toBe(
      'error bayeux /meta/subscribe failed "403:/secret:Forbidden channel" /secret',
    );
    expect(line(t('{"not":"bayeux"}'))).toBe('data bayeux text "{\\"not\\":\\"bayeux\\"}"');
  });

  it('detection: meta channels are proof, plain {channel} JSON is not', () => {
    const sample = (text: string) => ({ dir: 'in' as const, data: t(text) });
    expect(detectProtocol(hint({ transport: 'websocket', url: 'ws://x/live', samples: [sample('[{"channel":"/meta/handshake","successful":true,"clientId":"a","version":"1.0"}]')] }))?.id).toBe('bayeux');
    // Data messages only: Bayeux on a Bayeux path, plain JSON elsewhere.
    const data = [sample('[{"channel":"/chat","data":{"n":1}}]')];
    expect(detectProtocol(hint({ url: 'http://x/cometd', samples: data }))?.id).toBe('bayeux');
    expect(detectProtocol(hint({ url: 'http://x/api', samples: data }))?.id).toBe('json');
    expect(detectProtocol(hint({ url: 'http://x/api', samples: [sample('{"channel":"news","text":"x"}')] }))?.id).toBe('json');
    // Anything else in the channel rules Bayeux out.
    expect(detectProtocol(hint({ samples: [sample('[{"channel":"/meta/connect","successful":true}]'), sample('hello')] }))?.id).not.toBe('bayeux');
  });

  it('timings: faye defaults cited from its source, advice overrides them', () => {
    expect(libVersion('faye')).toBe('1.4.3');
    expect(libSource('faye', 'src/engines/proxy.js')).toMatch(/INTERVAL:\s+0,\s+TIMEOUT:\s+60,/);
    expect(libSource('faye', 'src/protocol/client.js')).toContain('1.2 * this._advice.timeout / 1000');
    expect(libSource('faye', 'src/engines/memory.js')).toContain('this.addTimeout(clientId, 2 * timeout,');
    expect(libVersion('cometd')).toBe('9.0.0');
    expect(libSource('cometd', 'Client.js')).toMatch(/advice: \{\s+timeout: 60000,\s+interval: 0,/);
    expect(protocolTimings('bayeux')).toEqual(BAYEUX_TIMINGS);
    expect(BAYEUX_TIMINGS).toMatchObject({ heartbeatMs: 60_000, timeoutMs: 72_000 });
    const reply = (advice: object) => ({ dir: 'in' as const, data: t(JSON.stringify([{ channel: '/meta/connect', successful: true, advice }])) });
    expect(channelTimings('bayeux', [reply({ reconnect: 'retry', timeout: 30_000, interval: 500 })])).toMatchObject({ heartbeatMs: 30_500, timeoutMs: 36_000 });
    // faye advises EventSource clients timeout 0 (src/protocol/server.js _advize): the cycle is the interval.
    expect(channelTimings('bayeux', [reply({ timeout: 0, interval: 60_000 })])).toMatchObject({ heartbeatMs: 60_000, timeoutMs: 72_000 });
    expect(channelTimings('bayeux', [reply({ reconnect: 'none' })])).toEqual(BAYEUX_TIMINGS);
  });
});

describe("a channel's timings for the analysis (channelProtocolTimings)", () => {
  it("Bayeux: the advice in the channel's response bodies; engine.io: the open packet; else the defaults", () => {
    const bayeux = getDecoder('bayeux')!;
    const handshake = newRecord('c:1', 'xhr', 'http://x/faye', 1000);
    handshake.body = t('[{"channel":"/meta/handshake","successful":true,"clientId":"a","version":"1.0","advice":{"reconnect":"retry","interval":0,"timeout":45000}}]');
    handshake.end = 1010;
    const connect = newRecord('c:2', 'xhr', 'http://x/faye', 1020);
    connect.body = t('[{"channel":"/meta/connect","successful":true,"advice":{"reconnect":"retry","interval":0,"timeout":45000}}]');
    connect.end = 46_020;
    expect(channelProtocolTimings(bayeux, [connect, handshake])).toMatchObject({ heartbeatMs: 45_000, timeoutMs: 54_000 });
    expect(channelProtocolTimings(bayeux, [newRecord('c:3', 'xhr', 'http://x/faye', 0)])).toEqual(BAYEUX_TIMINGS);
    expect(channelProtocolTimings(null, [handshake])).toBeNull();

    const socket = newRecord('c:4', 'websocket', 'ws://x/socket.io/?EIO=4&transport=websocket', 0);
    socket.messages.push({ t: 5, dir: 'in', size: 90, kind: 'ws', data: t('0{"sid":"s","upgrades":[],"pingInterval":5000,"pingTimeout":3000,"maxPayload":1000000}'), sample: '', event: null, id: null, retry: null, role: null });
    expect(channelProtocolTimings(getDecoder('socket.io')!, [socket])).toMatchObject({ heartbeatMs: 5000, timeoutMs: 3000 });
  });
});
