/**
 * Decoders for protocols whose servers do not run here. Binary frames come
 * from the real encoders (mqtt-packet, @msgpack/msgpack, cbor, protobufjs);
 * text frames are built exactly as each library's source writes them (file
 * cited per block).
 */
import { encode as msgpackEncode } from '@msgpack/msgpack';
import cbor from 'cbor';
import mqttPacket from 'mqtt-packet';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { Direction, Payload } from '../../src/core/events.ts';
import { channelTimings, decodeMessage, decodeMessages, detectProtocol, sniffBinary, type ProtocolHint } from '../../src/core/protocols/index.ts';
import { binaryPayload, textPayload } from '../../src/core/protocols/util.ts';

const t = textPayload;
const bin = (bytes: Uint8Array | Buffer) => binaryPayload(new Uint8Array(bytes));
const label = (id: string | null, data: Payload, dir: Direction = 'in') => {
  const d = decodeMessage(id, data, dir);
  return `${d.role} ${d.label}`;
};
const hint = (over: Partial<ProtocolHint>): ProtocolHint => ({
  transport: 'websocket',
  url: 'wss://example.test/ws',
  requestedProtocols: [],
  negotiatedProtocol: '',
  samples: [],
  ...over,
});

describe('engine.io protocol 3 / socket.io v2 (engine.io-parser 2.x payloads)', () => {
  // engine.io-parser 2.x encodePayload: `<length>:<packet>` per packet.
  const v3Payload = (...packets: string[]) => packets.map((p) => `${p.length}:${p}`).join('');
  const open = '0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}';

  it('splits length-prefixed polling payloads', () => {
    expect(label('socket.io-v2', t(v3Payload(open, '40')))).toBe(
      'handshake socket.io-v2 payload ×2: engine.io open pingInterval=25000, socket.io CONNECT',
    );
    expect(label('socket.io-v2', t(v3Payload('42["news",{"hello":"world"}]')))).toBe('data socket.io EVENT "news"');
    // socket.io protocol 4 calls type 4 ERROR.
    expect(label('socket.io-v2', t('44"Invalid namespace"'))).toBe('error socket.io ERROR "Invalid namespace"');
  });

  it('is told from protocol 4 by the URL, the open packet and the ping direction', () => {
    const url = 'https://example.test/socket.io/?EIO=3&transport=polling&t=N1';
    expect(detectProtocol(hint({ transport: 'xhr', url, samples: [{ dir: 'in', data: t(v3Payload(open, '40')) }] }))?.id).toBe('socket.io-v2');
    // No EIO in the URL: an open packet without maxPayload and a client ping mean protocol 3.
    const noParam = hint({ url: 'wss://example.test/socket.io/', samples: [{ dir: 'in', data: t(open) }, { dir: 'out', data: t('2') }] });
    expect(detectProtocol(noParam)?.id).toBe('socket.io-v2');
  });

  it('reads protocol-3 binary WebSocket frames (type byte first)', () => {
    expect(label('socket.io-v2', bin(new Uint8Array([4, 1, 2, 3])))).toBe('data socket.io binary attachment 3 B');
  });
});

describe('subscriptions-transport-ws (legacy, subprotocol "graphql-ws")', () => {
  // subscriptions-transport-ws 0.11.0 dist/message-types.js
  it('labels keep-alives and operations', () => {
    expect(label('subscriptions-transport-ws', t('{"type":"ka"}'))).toBe('heartbeat subscriptions-transport-ws ka (keep-alive)');
    expect(label('subscriptions-transport-ws', t('{"id":"1","type":"start","payload":{"query":"subscription{a}","operationName":"OnA"}}'), 'out')).toBe(
      'data subscriptions-transport-ws start id=1 subscription OnA',
    );
    expect(label('subscriptions-transport-ws', t('{"id":"1","type":"data","payload":{"data":{"a":1}}}'))).toBe('data subscriptions-transport-ws data id=1');
    expect(label('subscriptions-transport-ws', t('{"type":"connection_error","payload":{"message":"no"}}'))).toBe('error subscriptions-transport-ws connection_error');
  });

  it('is recognised from frames when no subprotocol was captured', () => {
    const samples = [
      { dir: 'out' as const, data: t('{"type":"connection_init","payload":{}}') },
      { dir: 'in' as const, data: t('{"type":"connection_ack"}') },
      { dir: 'in' as const, data: t('{"type":"ka"}') },
    ];
    expect(detectProtocol(hint({ samples }))?.id).toBe('subscriptions-transport-ws');
  });
});

describe('Phoenix channels (phoenix 1.8.16 assets/js/phoenix)', () => {
  it('decodes serializer v2 arrays: join, reply, broadcast, heartbeat', () => {
    expect(label('phoenix', t('["3","3","room:lobby","phx_join",{}]'), 'out')).toBe('handshake phoenix "room:lobby" phx_join ref=3');
    expect(label('phoenix', t('["3","3","room:lobby","phx_reply",{"status":"ok","response":{}}]'))).toBe('ack phoenix "room:lobby" phx_reply ok ref=3');
    expect(label('phoenix', t('["3","4","room:lobby","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]'))).toBe(
      'error phoenix "room:lobby" phx_reply error ref=4',
    );
    expect(label('phoenix', t('[null,null,"room:lobby","new_msg",{"body":"hi"}]'))).toBe('data phoenix "room:lobby" new_msg');
    // socket.js sendHeartbeat: {topic: "phoenix", event: "heartbeat", payload: {}, ref}
    expect(label('phoenix', t('[null,"5","phoenix","heartbeat",{}]'), 'out')).toBe('heartbeat phoenix heartbeat ref=5');
    expect(label('phoenix', t('[null,"5","phoenix","phx_reply",{"status":"ok","response":{}}]'))).toBe('heartbeat phoenix heartbeat reply ok ref=5');
  });

  it('decodes serializer v1 objects and binary pushes', () => {
    expect(label('phoenix', t('{"topic":"rooms:1","event":"phx_join","payload":{},"ref":"1"}'), 'out')).toBe('handshake phoenix "rooms:1" phx_join ref=1');
    // serializer.js binaryEncode: kind 0, sizes of join_ref, ref, topic, event, then the fields and the payload.
    const enc = new TextEncoder();
    const fields = ['1', '2', 'room:a', 'upload'].map((s) => enc.encode(s));
    const bytes = new Uint8Array([0, ...fields.map((f) => f.length), ...fields.flatMap((f) => [...f]), 0xde, 0xad]);
    expect(label('phoenix', bin(bytes), 'out')).toBe('data phoenix "room:a" upload ref=2');
  });

  it('is recognised from the /websocket?vsn= endpoint and from frames', () => {
    expect(detectProtocol(hint({ url: 'wss://app.test/socket/websocket?token=x&vsn=2.0.0' }))?.id).toBe('phoenix');
    expect(detectProtocol(hint({ samples: [{ dir: 'out', data: t('[null,"5","phoenix","heartbeat",{}]') }] }))?.id).toBe('phoenix');
  });
});

describe('ActionCable (@rails/actioncable 8.1.400 src/internal.js)', () => {
  const identifier = JSON.stringify({ channel: 'ChatChannel', room: 'a' });
  it('labels server messages and client commands', () => {
    expect(label('actioncable', t('{"type":"welcome"}'))).toBe('handshake actioncable welcome');
    expect(label('actioncable', t('{"type":"ping","message":1732460000}'))).toBe('heartbeat actioncable ping');
    expect(label('actioncable', t(JSON.stringify({ command: 'subscribe', identifier })), 'out')).toBe('control actioncable subscribe ChatChannel');
    expect(label('actioncable', t(JSON.stringify({ type: 'confirm_subscription', identifier })))).toBe('ack actioncable confirm_subscription ChatChannel');
    expect(label('actioncable', t(JSON.stringify({ identifier, message: { body: 'hi' } })))).toBe('data actioncable message ChatChannel');
    expect(label('actioncable', t(JSON.stringify({ command: 'message', identifier, data: JSON.stringify({ action: 'speak', body: 'x' }) })), 'out')).toBe(
      'data actioncable message ChatChannel action=speak',
    );
    expect(label('actioncable', t('{"type":"disconnect","reason":"unauthorized","reconnect":false}'))).toBe(
      'close actioncable disconnect "unauthorized" (no reconnect)',
    );
  });

  it('is recognised from its subprotocol and from frames', () => {
    expect(detectProtocol(hint({ requestedProtocols: ['actioncable-v1-json', 'actioncable-unsupported'], negotiatedProtocol: 'actioncable-v1-json' }))?.id).toBe(
      'actioncable',
    );
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: t('{"type":"welcome"}') }, { dir: 'in', data: t('{"type":"ping","message":1}') }] }))?.id).toBe('actioncable');
  });
});

describe('SignalR JSON hub protocol (@microsoft/signalr 10.0.11)', () => {
  const RS = '\x1e'; // TextMessageFormat.RecordSeparator
  it('labels handshake, invocations, completions, pings and close', () => {
    expect(label('signalr', t(`{"protocol":"json","version":1}${RS}`), 'out')).toBe('handshake signalr handshake json v1');
    expect(label('signalr', t(`{}${RS}`))).toBe('handshake signalr handshake response');
    expect(label('signalr', t(`{"type":1,"target":"ReceiveMessage","arguments":["ann","hi"]}${RS}`))).toBe('data signalr invocation "ReceiveMessage"');
    expect(label('signalr', t(`{"type":1,"invocationId":"0","target":"Send","arguments":["x"]}${RS}`), 'out')).toBe('data signalr invocation "Send" id=0');
    expect(label('signalr', t(`{"type":3,"invocationId":"0","error":"boom"}${RS}`))).toBe('error signalr completion id=0 error "boom"');
    expect(label('signalr', t(`{"type":6}${RS}`))).toBe('heartbeat signalr ping');
    expect(label('signalr', t(`{"type":7,"error":"Server shutting down","allowReconnect":true}${RS}`))).toBe(
      'close signalr close "Server shutting down" (allowReconnect)',
    );
    expect(label('signalr', t(`{}${RS}{"type":6}${RS}`))).toBe('handshake signalr records ×2: signalr handshake response, signalr ping');
  });

  it('is recognised from \\x1e-terminated records', () => {
    expect(detectProtocol(hint({ samples: [{ dir: 'out', data: t(`{"protocol":"json","version":1}${RS}`) }, { dir: 'in', data: t(`{}${RS}`) }] }))?.id).toBe('signalr');
    expect(detectProtocol(hint({ transport: 'fetch', url: 'https://app.test/chathub/negotiate?negotiateVersion=1' }))?.id).toBe('signalr');
  });
});

describe('STOMP (STOMP 1.2; @stomp/stompjs 7.5.0 frames)', () => {
  it('labels frames, heart-beats and negotiation headers', () => {
    expect(label('stomp', t('CONNECT\naccept-version:1.2,1.1,1.0\nheart-beat:10000,10000\n\n\0'), 'out')).toBe('handshake stomp CONNECT heart-beat=10000,10000');
    expect(label('stomp', t('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'))).toBe('handshake stomp CONNECTED heart-beat=0,0');
    expect(label('stomp', t('SUBSCRIBE\nid:sub-0\ndestination:/topic/greetings\n\n\0'), 'out')).toBe('control stomp SUBSCRIBE /topic/greetings');
    expect(label('stomp', t('MESSAGE\ndestination:/topic/greetings\nsubscription:sub-0\nmessage-id:1\ncontent-length:5\n\nhello\0'))).toBe(
      'data stomp MESSAGE /topic/greetings',
    );
    expect(label('stomp', t('\n'), 'out')).toBe('heartbeat stomp heart-beat');
    expect(label('stomp', t('\r\n'))).toBe('heartbeat stomp heart-beat');
    expect(label('stomp', t('ERROR\nmessage:Bad destination\n\n\0'))).toBe('error stomp ERROR "Bad destination"');
    const value = decodeMessage('stomp', t('MESSAGE\ndestination:/a\\cb\n\nbody\0'), 'in').value as { headers: Record<string, string>; body: string };
    expect(value).toMatchObject({ headers: { destination: '/a:b' }, body: 'body' });
  });

  it('is recognised by subprotocol and by frames', () => {
    expect(detectProtocol(hint({ requestedProtocols: ['v10.stomp', 'v11.stomp', 'v12.stomp'], negotiatedProtocol: 'v12.stomp' }))?.id).toBe('stomp');
    expect(detectProtocol(hint({ samples: [{ dir: 'out', data: t('CONNECT\naccept-version:1.2\n\n\0') }, { dir: 'in', data: t('\n') }] }))?.id).toBe('stomp');
  });
});

describe('negotiated heartbeat timings read from handshakes', () => {
  const out = (data: Payload) => ({ dir: 'out' as const, data });
  const inn = (data: Payload) => ({ dir: 'in' as const, data });

  it('STOMP heart-beat negotiation (STOMP 1.2 "Heart-beating")', () => {
    const connect = out(t('CONNECT\naccept-version:1.2\nheart-beat:10000,10000\n\n\0'));
    expect(channelTimings('stomp', [connect, inn(t('CONNECTED\nversion:1.2\nheart-beat:5000,20000\n\n\0'))])).toMatchObject({
      heartbeatMs: 10000,
      heartbeatDirection: 'both',
    });
    // The server offers none: nobody heart-beats.
    expect(channelTimings('stomp', [connect, inn(t('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0'))])).toMatchObject({ heartbeatMs: undefined, heartbeatDirection: undefined });
    // The client does not ask to receive: only the client sends, every max(cx, sy).
    expect(channelTimings('stomp', [out(t('CONNECT\nheart-beat:4000,0\n\n\0')), inn(t('CONNECTED\nheart-beat:0,8000\n\n\0'))])).toMatchObject({
      heartbeatMs: 8000,
      heartbeatDirection: 'client',
    });
  });

  it('Pusher activity_timeout and Centrifugo connect reply', () => {
    expect(channelTimings('pusher', [inn(t('{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"1.2\\",\\"activity_timeout\\":30}"}'))])).toMatchObject({
      heartbeatMs: 30000,
      heartbeatDirection: 'client',
    });
    expect(channelTimings('centrifugo', [out(t('{"id":1,"connect":{}}')), inn(t('{"id":1,"connect":{"client":"c","ping":10,"pong":true}}'))])).toMatchObject({
      heartbeatMs: 10000,
      heartbeatDirection: 'server',
    });
  });

  it('MQTT keepalive 0 disables the heartbeat', () => {
    const connect = bin(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'x', keepalive: 0 }));
    expect(channelTimings('mqtt', [out(connect)])).toMatchObject({ heartbeatMs: undefined });
  });
});

describe('STOMP inside SockJS (Spring\'s default set-up: stompjs over sockjs-client)', () => {
  it('labels the STOMP frames inside SockJS messages, heart-beats included', () => {
    expect(label('sockjs', t(JSON.stringify(['CONNECT\naccept-version:1.2\nheart-beat:10000,10000\n\n\0'])), 'out')).toBe(
      'handshake sockjs send › stomp CONNECT heart-beat=10000,10000',
    );
    expect(label('sockjs', t(`a${JSON.stringify(['MESSAGE\ndestination:/topic/greetings\nmessage-id:1\nsubscription:sub-0\n\n{"content":"hi"}\0'])}`))).toBe(
      'data sockjs message › stomp MESSAGE /topic/greetings',
    );
    expect(label('sockjs', t('a["\\n"]'))).toBe('heartbeat sockjs message › stomp heart-beat');
    expect(label('sockjs', t('["\\n"]'), 'out')).toBe('heartbeat sockjs send › stomp heart-beat');
    // Ordinary SockJS messages stay as they were.
    expect(label('sockjs', t('a["hello"]'))).toBe('data sockjs message "hello"');
  });
});

describe('MQTT over WebSocket (frames generated by mqtt-packet 9)', () => {
  const gen = (packet: object, protocolVersion = 4) => bin(mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion }));

  it('decodes the control packets of a session', () => {
    expect(label('mqtt', gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'web-1', keepalive: 60 }), 'out')).toBe(
      'handshake mqtt CONNECT v3.1.1 keepalive=60s client=web-1',
    );
    expect(label('mqtt', gen({ cmd: 'connack', returnCode: 0, sessionPresent: false }))).toBe('handshake mqtt CONNACK rc=0');
    expect(label('mqtt', gen({ cmd: 'connack', returnCode: 5, sessionPresent: false }))).toBe('error mqtt CONNACK rc=5');
    expect(label('mqtt', gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'sensors/+', qos: 1 }] }), 'out')).toBe(
      'control mqtt SUBSCRIBE sensors/+ id=1',
    );
    expect(label('mqtt', gen({ cmd: 'suback', messageId: 1, granted: [1] }))).toBe('ack mqtt SUBACK id=1');
    expect(label('mqtt', gen({ cmd: 'publish', topic: 'sensors/t1', payload: '{"c":21.5}', qos: 1, messageId: 7, retain: false, dup: false }))).toBe(
      'data mqtt PUBLISH sensors/t1 qos=1 id=7 (10 B)',
    );
    expect(label('mqtt', gen({ cmd: 'puback', messageId: 7 }), 'out')).toBe('ack mqtt PUBACK id=7');
    expect(label('mqtt', gen({ cmd: 'pingreq' }), 'out')).toBe('heartbeat mqtt PINGREQ');
    expect(label('mqtt', gen({ cmd: 'pingresp' }))).toBe('heartbeat mqtt PINGRESP');
    expect(label('mqtt', gen({ cmd: 'disconnect' }), 'out')).toBe('close mqtt DISCONNECT');
    const publish = decodeMessage('mqtt', gen({ cmd: 'publish', topic: 'a', payload: '{"c":21.5}', qos: 0, retain: true, dup: false }), 'in').value as Record<string, unknown>;
    expect(publish).toMatchObject({ topic: 'a', qos: 0, retain: true, payload: { c: 21.5 } });
  });

  it('reads MQTT 5 packets with properties', () => {
    const connect = gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'v5', keepalive: 30, properties: { sessionExpiryInterval: 120 } }, 5);
    expect(label('mqtt', connect, 'out')).toBe('handshake mqtt CONNECT v5 keepalive=30s client=v5');
    const sub = gen({ cmd: 'subscribe', messageId: 2, properties: { subscriptionIdentifier: 3 }, subscriptions: [{ topic: 'x/y', qos: 0 }] }, 5);
    expect(label('mqtt', sub, 'out')).toBe('control mqtt SUBSCRIBE x/y id=2');
  });

  it('reads several packets in one WebSocket message', () => {
    const both = Buffer.concat([mqttPacket.generate({ cmd: 'pingresp' }), mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: 'x', qos: 0, retain: false, dup: false })]);
    expect(label('mqtt', bin(both))).toBe('data mqtt packets ×2: mqtt PINGRESP, mqtt PUBLISH a/b qos=0 (1 B)');
  });

  it('a frame may end inside the next packet (MQTT 3.1.1 §6); decodeMessages joins the pieces', () => {
    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: 'hello', qos: 0, retain: false, dup: false });
    const first = Buffer.concat([mqttPacket.generate({ cmd: 'pingresp' }), publish.subarray(0, 4)]);
    const second = publish.subarray(4);
    expect(label('mqtt', bin(first))).toBe('data mqtt packets ×2: mqtt PINGRESP, mqtt PUBLISH (start, 4 B)');
    const joined = decodeMessages('mqtt', [{ dir: 'in', data: bin(first) }, { dir: 'in', data: bin(second) }]).map((d) => d.label);
    expect(joined).toEqual(['mqtt packets ×2: mqtt PINGRESP, mqtt PUBLISH (start, 4 B)', 'mqtt PUBLISH a/b qos=0 (5 B)']);
    // Directions are reassembled separately.
    const interleaved = decodeMessages('mqtt', [
      { dir: 'in', data: bin(publish.subarray(0, 3)) },
      { dir: 'out', data: gen({ cmd: 'pingreq' }) },
      { dir: 'in', data: bin(publish.subarray(3)) },
    ]).map((d) => d.label);
    expect(interleaved).toEqual(['mqtt PUBLISH (start, 3 B)', 'mqtt PINGREQ', 'mqtt PUBLISH a/b qos=0 (5 B)']);
  });

  it('is recognised by subprotocol and by a CONNECT frame', () => {
    expect(detectProtocol(hint({ requestedProtocols: ['mqtt'], negotiatedProtocol: 'mqtt' }))?.id).toBe('mqtt');
    const connect = gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'c', keepalive: 60 });
    expect(detectProtocol(hint({ samples: [{ dir: 'out', data: connect }, { dir: 'in', data: gen({ cmd: 'connack', returnCode: 0, sessionPresent: false }) }] }))?.id).toBe('mqtt');
  });
});

describe('Centrifugo (centrifuge 5.8.0 JSON protocol)', () => {
  it('labels commands, replies, pushes and the empty-object ping/pong', () => {
    expect(label('centrifugo', t('{"id":1,"connect":{"token":"x","name":"js"}}'), 'out')).toBe('handshake centrifugo connect id=1');
    expect(label('centrifugo', t('{"id":1,"connect":{"client":"c1","version":"5.4.0","ping":25,"pong":true}}'))).toBe('handshake centrifugo connect reply id=1');
    expect(label('centrifugo', t('{"id":2,"subscribe":{"channel":"news"}}'), 'out')).toBe('control centrifugo subscribe "news" id=2');
    expect(label('centrifugo', t('{"push":{"channel":"news","pub":{"data":{"title":"x"},"offset":4}}}'))).toBe('data centrifugo push pub "news"');
    expect(label('centrifugo', t('{}'))).toBe('heartbeat centrifugo ping');
    expect(label('centrifugo', t('{}'), 'out')).toBe('heartbeat centrifugo pong');
    expect(label('centrifugo', t('{"id":3,"error":{"code":103,"message":"permission denied"}}'))).toBe('error centrifugo error 103 "permission denied" id=3');
    // Several replies in one frame, joined with "\n" (build/index.js encodeCommands).
    expect(label('centrifugo', t('{}\n{"push":{"channel":"news","pub":{"data":1}}}'))).toBe('data centrifugo replies ×2: centrifugo ping, centrifugo push pub "news"');
  });

  it('is recognised from its endpoint and its connect command', () => {
    expect(detectProtocol(hint({ url: 'wss://rt.test/connection/websocket' }))?.id).toBe('centrifugo');
    expect(detectProtocol(hint({ samples: [{ dir: 'out', data: t('{"id":1,"connect":{"name":"js"}}') }, { dir: 'in', data: t('{}') }] }))?.id).toBe('centrifugo');
  });
});

describe('Pusher Channels protocol 7 (pusher-js 8.6.0)', () => {
  it('labels connection, heartbeats, subscriptions and events', () => {
    expect(label('pusher', t('{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"123.456\\",\\"activity_timeout\\":120}"}'))).toBe(
      'handshake pusher pusher:connection_established activity_timeout=120s',
    );
    expect(label('pusher', t('{"event":"pusher:ping","data":{}}'), 'out')).toBe('heartbeat pusher pusher:ping');
    expect(label('pusher', t('{"event":"pusher:pong","data":{}}'))).toBe('heartbeat pusher pusher:pong');
    expect(label('pusher', t('{"event":"pusher:subscribe","data":{"auth":"","channel":"orders"}}'), 'out')).toBe('control pusher pusher:subscribe on orders');
    expect(label('pusher', t('{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"orders"}'))).toBe(
      'ack pusher pusher_internal:subscription_succeeded on orders',
    );
    expect(label('pusher', t('{"event":"order-created","data":"{\\"id\\":9}","channel":"orders"}'))).toBe('data pusher event "order-created" on orders');
    expect(label('pusher', t('{"event":"pusher:error","data":{"code":4001,"message":"App key not in this cluster"}}'))).toBe(
      'error pusher pusher:error "App key not in this cluster"',
    );
  });

  it('is recognised from its URL and from frames', () => {
    expect(detectProtocol(hint({ url: 'wss://ws-eu.pusher.com/app/abc123?protocol=7&client=js&version=8.6.0&flash=false' }))?.id).toBe('pusher');
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: t('{"event":"pusher:connection_established","data":"{}"}') }] }))?.id).toBe('pusher');
  });
});

describe('generic decoding when no protocol is known', () => {
  it('decodeMessages is decodeMessage per message for protocols without packet reassembly', () => {
    const messages = [{ dir: 'out' as const, data: t('42["a"]') }, { dir: 'in' as const, data: t('2') }];
    expect(decodeMessages('socket.io', messages)).toEqual(messages.map((m) => decodeMessage('socket.io', m.data, m.dir)));
    expect(decodeMessages(null, messages)).toEqual(messages.map((m) => decodeMessage(null, m.data, m.dir)));
  });

  it('JSON-RPC 2.0 requests, notifications, results, errors and batches', () => {
    expect(label(null, t('{"jsonrpc":"2.0","method":"eth_subscribe","params":["newHeads"],"id":1}'), 'out')).toBe('data json-rpc request "eth_subscribe" id=1');
    expect(label(null, t('{"jsonrpc":"2.0","method":"eth_subscription","params":{}}'))).toBe('data json-rpc notification "eth_subscription"');
    expect(label(null, t('{"jsonrpc":"2.0","result":"0x1","id":1}'))).toBe('ack json-rpc result id=1');
    expect(label(null, t('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":2}'))).toBe('error json-rpc error -32601 "Method not found" id=2');
    expect(label(null, t('[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","result":2,"id":2}]'))).toBe(
      'ack json-rpc batch ×2: json-rpc result id=1, json-rpc result id=2',
    );
    const samples = [{ dir: 'out' as const, data: t('{"jsonrpc":"2.0","method":"a","id":1}') }, { dir: 'in' as const, data: t('{"jsonrpc":"2.0","result":1,"id":1}') }];
    expect(detectProtocol(hint({ samples }))?.id).toBe('json-rpc');
  });

  it('home-made JSON protocols are not mistaken for a named one', () => {
    const channel = (...frames: Array<[Direction, string]>) => hint({ samples: frames.map(([dir, text]) => ({ dir, data: t(text) })) });
    // A typical app protocol: its own ping/pong, and "data"/"update" messages without operation ids.
    expect(detectProtocol(channel(['in', '{"type":"ping"}'], ['out', '{"type":"pong"}']))?.id).toBe('json');
    expect(detectProtocol(channel(['in', '{"type":"data","payload":{"x":1}}'], ['in', '{"type":"data","payload":{"x":2}}']))?.id).toBe('json');
    expect(detectProtocol(channel(['in', '{"type":"update","price":1}'], ['out', '{"type":"subscribe","topic":"prices"}']))?.id).toBe('json');
    expect(detectProtocol(channel(['in', '{"event":"tick","data":{"n":1}}']))?.id).toBe('json');
    expect(detectProtocol(channel(['in', '[1,2,3]'], ['in', '[4,5,6]']))?.id).toBe('json');
    // A path that looks like a SockJS session URL, with frames that are not SockJS framing.
    const lookalike = { ...channel(['in', '{"type":"update"}']), url: 'wss://app.test/api/123/feed/websocket' };
    expect(detectProtocol(lookalike)?.id).toBe('json');
  });

  it('plain JSON by its type field, text as text', () => {
    expect(label(null, t('{"type":"price","symbol":"ACME","value":1}'))).toBe('data json type="price"');
    expect(label(null, t('[1,2,3]'))).toBe('data json array[3]');
    expect(label(null, t('hello there'))).toBe('data text "hello there"');
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: t('{"a":1}') }] }))).toEqual({ id: 'json', confidence: 0.3 });
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: t('plain words') }] }))).toBeNull();
  });

  it('binary that is UTF-8 text is read as text', () => {
    expect(label(null, bin(new TextEncoder().encode('{"type":"tick"}')))).toBe('data json type="tick"');
  });
});

describe('schemaless binary: MessagePack, CBOR, protobuf from their real encoders', () => {
  const message = { type: 'order', id: 42, items: [{ sku: 'A-1', qty: 2 }], paid: true, total: 19.5 };

  it('MessagePack (@msgpack/msgpack)', () => {
    const d = decodeMessage(null, bin(msgpackEncode(message)), 'in');
    expect(d).toMatchObject({ protocol: 'msgpack', label: 'msgpack type="order"', value: message });
  });

  it('CBOR (cbor)', () => {
    const d = decodeMessage(null, bin(cbor.encode(message)), 'in');
    expect(d).toMatchObject({ protocol: 'cbor', label: 'cbor type="order"', value: message });
  });

  it('protobuf (protobufjs): field numbers and wire types', () => {
    const Item = new protobuf.Type('Item').add(new protobuf.Field('sku', 1, 'string')).add(new protobuf.Field('qty', 2, 'int32'));
    const Order = new protobuf.Type('Order')
      .add(new protobuf.Field('id', 1, 'int64'))
      .add(new protobuf.Field('items', 2, 'Item', 'repeated'))
      .add(new protobuf.Field('paid', 3, 'bool'))
      .add(new protobuf.Field('total', 4, 'double'))
      .add(new protobuf.Field('note', 5, 'string'))
      .add(Item);
    new protobuf.Root().add(Order);
    const bytes = Order.encode(Order.create({ id: 42, items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-2', qty: 1 }], paid: true, total: 19.5, note: 'leave at door' })).finish();
    const d = decodeMessage(null, bin(bytes), 'in');
    expect(d.protocol).toBe('protobuf');
    expect(d.label).toBe('protobuf message fields {1, 2, 3, 4, 5}');
    const value = d.value as { fields: string[]; message: Record<string, unknown> };
    expect(value.fields).toEqual(['1:varint', '2:len', '2:len', '3:varint', '4:i64', '5:len']);
    expect(value.message['1']).toBe(42);
    expect(value.message['2']).toEqual([{ '1': 'A-1', '2': 2 }, { '1': 'B-2', '2': 1 }]);
    expect(value.message['5']).toBe('leave at door');
  });

  it('sniffing picks the format whose parse consumes every byte', () => {
    expect(sniffBinary(msgpackEncode(message))?.format.id).toBe('msgpack');
    expect(sniffBinary(new Uint8Array(cbor.encode(message)))?.format.id).toBe('cbor');
    expect(sniffBinary(new Uint8Array([0x08, 0x96, 0x01]))?.format.id).toBe('protobuf');
    // 0xc1 is never used in MessagePack, reserved in CBOR, and an invalid tag in protobuf.
    expect(sniffBinary(new Uint8Array([0xc1, 0xff, 0x00]))).toBeNull();
    expect(label(null, bin(new Uint8Array([0xc1, 0xff, 0x00])))).toBe('data binary 3 B');
  });

  it('a truncated capture is still recognised, and said to be truncated', () => {
    const full = msgpackEncode({ type: 'big', data: 'x'.repeat(200) });
    const cut: Payload = { ...bin(full.subarray(0, 64)), size: full.length, truncated: true };
    expect(label('msgpack', cut)).toBe('data msgpack (truncated)');
  });

  it('a channel of MessagePack frames is detected as msgpack', () => {
    const samples = [{ dir: 'in' as const, data: bin(msgpackEncode(message)) }, { dir: 'out' as const, data: bin(msgpackEncode({ type: 'ack', id: 42 })) }];
    expect(detectProtocol(hint({ samples }))?.id).toBe('msgpack');
  });
});
