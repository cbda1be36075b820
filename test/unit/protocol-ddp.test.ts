/**
 * Meteor DDP on frames written as Meteor writes them (meteor commit 024061123a49:
 * packages/ddp-client/common/livedata_connection.js onReset, _send of sub, method,
 * pong; packages/ddp-server/livedata_server.js Session.send of connected, ping,
 * pong, added, changed, removed, ready, nosub, result, updated, error, and
 * Server._handleConnect's failed; field order as in those object literals,
 * undefined fields dropped by DDPCommon.stringifyDDP), over a raw WebSocket
 * and inside SockJS frames. The real ddp.js client runs in protocol-real-ddp.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Direction, Payload } from '../../src/core/events.ts';
import { channelTimings, decodeMessage, detectProtocol, protocolTimings, type ProtocolHint } from '../../src/core/protocols/index.ts';
import { DDP_TIMINGS } from '../../src/core/protocols/ddp.ts';
import { textPayload } from '../../src/core/protocols/util.ts';

const t = textPayload;
const label = (id: string | null, data: Payload, dir: Direction = 'in') => {
  const d = decodeMessage(id, data, dir);
  return `${d.role} ${d.label}`;
};
const hint = (over: Partial<ProtocolHint>): ProtocolHint => ({
  transport: 'websocket',
  url: 'wss://app.example/websocket',
  requestedProtocols: [],
  negotiatedProtocol: '',
  samples: [],
  ...over,
});

/** The Meteor.Error a method or subscription not found becomes on the wire (ddp-common utils.js / meteor errors.js fields). */
const notFound = (what: string) => ({ isClientSafe: true, error: 404, reason: `${what} not found`, message: `${what} not found [404]`, errorType: 'Meteor.Error' });

/** A Meteor session as Meteor's client and server write it, in order. */
const SESSION: Array<[Direction, object]> = [
  ['out', { msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] }],
  ['in', { msg: 'connected', session: 'Jf9Zr3cQa2PdsbXyE' }],
  ['out', { msg: 'sub', id: 'hTYm8nvv6r3s4i2Wz', name: 'tasks', params: [] }],
  ['in', { msg: 'added', collection: 'tasks', id: 'a1', fields: { text: 'one' } }],
  ['in', { msg: 'ready', subs: ['hTYm8nvv6r3s4i2Wz'] }],
  ['out', { msg: 'method', id: '1', method: 'tasks.insert', params: [{ text: 'two' }], randomSeed: '9c1b2f' }],
  ['in', { msg: 'result', id: '1', result: 'b2' }],
  ['in', { msg: 'added', collection: 'tasks', id: 'b2', fields: { text: 'two' } }],
  ['in', { msg: 'updated', methods: ['1'] }],
  ['in', { msg: 'changed', collection: 'tasks', id: 'a1', fields: { done: true }, cleared: ['due'] }],
  ['in', { msg: 'removed', collection: 'tasks', id: 'a1' }],
  ['in', { msg: 'ping' }],
  ['out', { msg: 'pong' }],
  ['out', { msg: 'ping', id: '7' }],
  ['in', { msg: 'pong', id: '7' }],
  ['out', { msg: 'unsub', id: 'hTYm8nvv6r3s4i2Wz' }],
  ['in', { msg: 'nosub', id: 'hTYm8nvv6r3s4i2Wz' }],
];
const frames = SESSION.map(([dir, m]) => ({ dir, data: t(JSON.stringify(m)) }));

describe('Meteor DDP over a raw WebSocket', () => {
  it('labels every message of a session with its role', () => {
    expect(frames.map((f) => label('ddp', f.data, f.dir))).toEqual([
      'handshake ddp connect version=1',
      'handshake ddp connected',
      'control ddp sub "tasks" id=hTYm8nvv6r3s4i2Wz',
      'data ddp added tasks id=a1',
      'ack ddp ready subs=hTYm8nvv6r3s4i2Wz',
      'data ddp method "tasks.insert" id=1',
      'ack ddp result id=1',
      'data ddp added tasks id=b2',
      'ack ddp updated methods=1',
      'data ddp changed tasks id=a1',
      'data ddp removed tasks id=a1',
      'heartbeat ddp ping',
      'heartbeat ddp pong',
      'heartbeat ddp ping id=7',
      'heartbeat ddp pong id=7',
      'control ddp unsub id=hTYm8nvv6r3s4i2Wz',
      'ack ddp nosub id=hTYm8nvv6r3s4i2Wz',
    ]);
    // The value is the message itself, for the detail view.
    expect(decodeMessage('ddp', frames[9]!.data, 'in').value).toEqual(SESSION[9]![1]);
  });

  it('errors: failed, result and nosub with an error, top-level error', () => {
    // livedata_server.js _handleConnect: a client proposing a version the server would not pick.
    expect(label('ddp', t('{"msg":"failed","version":"1"}'))).toBe('error ddp failed version=1');
    expect(label('ddp', t(JSON.stringify({ msg: 'result', id: '2', error: notFound("Method 'nope'") })))).toBe(`error ddp result id=2 error "Method 'nope' not found"`);
    expect(label('ddp', t(JSON.stringify({ msg: 'nosub', id: 's9', error: notFound("Subscription 'secret'") })))).toBe(
      `error ddp nosub id=s9 error "Subscription 'secret' not found"`,
    );
    // Session.sendError: {msg: 'error', reason, offendingMessage}.
    expect(label('ddp', t(JSON.stringify({ msg: 'error', reason: 'Must connect first', offendingMessage: { msg: 'sub', id: '1', name: 'x' } })))).toBe(
      'error ddp error "Must connect first"',
    );
    // DDP.md appendix 3: `error` may be a number in old servers.
    expect(label('ddp', t(JSON.stringify({ msg: 'result', id: '3', error: { error: 500 } })))).toBe('error ddp result id=3 error "500"');
  });

  it('ordered collections, a resumed session and the server_id preamble', () => {
    expect(label('ddp', t('{"msg":"addedBefore","collection":"list","id":"x","fields":{},"before":null}'))).toBe('data ddp addedBefore list id=x before=end');
    expect(label('ddp', t('{"msg":"movedBefore","collection":"list","id":"x","before":"y"}'))).toBe('data ddp movedBefore list id=x before=y');
    // livedata_connection.js onReset: session only when reconnecting.
    expect(label('ddp', t('{"msg":"connect","session":"Jf9Zr3cQa2PdsbXyE","version":"1","support":["1","pre2","pre1"]}'), 'out')).toBe('handshake ddp connect version=1 (resume)');
    // DDP.md: an initial object without `msg` that clients ignore (livedata_connection.js skips {server_id}).
    expect(label('ddp', t('{"server_id":"0"}'))).toBe('control ddp server_id=0');
    expect(label('ddp', t('{"msg":"ready","subs":["1","2","3","4","5","6"]}'))).toBe('ack ddp ready subs=1,2,3,4,… (6)');
  });

  it('anything else is shown as it is, with role data', () => {
    expect(label('ddp', t('{"msg":"replace","id":"1"}'))).toBe('data ddp text "{\\"msg\\":\\"replace\\",\\"id\\":\\"1\\"}"');
    expect(label('ddp', t('{"msg":"__proto__"}'))).toBe('data ddp text "{\\"msg\\":\\"__proto__\\"}"');
    expect(label('ddp', t('{"hello":1}'))).toBe('data ddp text "{\\"hello\\":1}"');
    expect(label('ddp', t('not json'))).toBe('data ddp text "not json"');
  });

  it('is recognised from the handshake, and from data frames alone', () => {
    expect(detectProtocol(hint({ samples: frames.slice(0, 8) }))).toEqual({ id: 'ddp', confidence: 0.9 });
    // Joined after the handshake: the frames are DDP-shaped, weaker evidence.
    const later = detectProtocol(hint({ url: 'wss://app.example/live', samples: frames.slice(2, 8) }));
    expect(later?.id).toBe('ddp');
    expect(later!.confidence).toBeLessThan(0.9);
    // Heartbeats alone prove nothing: {"msg":"ping"} is a plausible shape of any JSON protocol.
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: t('{"msg":"ping"}') }, { dir: 'out', data: t('{"msg":"pong"}') }] }))?.id).not.toBe('ddp');
  });

  it('is not claimed when a frame contradicts it, nor from the URL alone', () => {
    const mixed = [...frames.slice(0, 3), { dir: 'in' as const, data: t('{"type":"ka"}') }];
    expect(detectProtocol(hint({ samples: mixed }))?.id).not.toBe('ddp');
    expect(detectProtocol(hint({ samples: [] }))?.id).not.toBe('ddp');
    // Raw DDP is a WebSocket protocol: a JSON API over HTTP whose bodies happen to fit is not DDP.
    expect(detectProtocol(hint({ transport: 'xhr', url: 'https://api.example/poll', method: 'GET', status: 200, contentType: 'application/json', samples: frames.slice(1, 2) }))?.id).not.toBe('ddp');
    // Other JSON protocols with a `msg` key that is not DDP's.
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: t('{"msg":"hello","from":"ann"}') }] }))?.id).not.toBe('ddp');
  });

  it("timings are Meteor's defaults: no in-band negotiation", () => {
    expect(protocolTimings('ddp')).toBe(DDP_TIMINGS);
    expect(channelTimings('ddp', frames)).toBe(DDP_TIMINGS);
    expect(DDP_TIMINGS).toMatchObject({ heartbeatMs: 15_000, heartbeatDirection: 'both', idleOnly: true, timeoutMs: 15_000 });
    expect(DDP_TIMINGS.source).toContain('024061123a49');
  });
});

describe('Meteor DDP inside SockJS frames (Meteor\'s default client transport, /sockjs/…)', () => {
  const url = 'wss://app.example/sockjs/123/a1b2c3d4/websocket';
  const sockjsFrames = [
    { dir: 'in' as const, data: t('o') },
    { dir: 'out' as const, data: t(JSON.stringify([JSON.stringify(SESSION[0]![1])])) },
    { dir: 'in' as const, data: t(`a${JSON.stringify([JSON.stringify(SESSION[1]![1])])}`) },
    { dir: 'in' as const, data: t(`a${JSON.stringify([JSON.stringify(SESSION[3]![1]), JSON.stringify(SESSION[4]![1])])}`) },
    { dir: 'in' as const, data: t(`a${JSON.stringify([JSON.stringify({ msg: 'ping' })])}`) },
    { dir: 'out' as const, data: t(JSON.stringify([JSON.stringify({ msg: 'pong' })])) },
    { dir: 'in' as const, data: t('h') },
  ];

  it('stays SockJS (its URL and framing say so), with the DDP inside labelled', () => {
    expect(detectProtocol(hint({ url, samples: sockjsFrames }))?.id).toBe('sockjs');
    expect(sockjsFrames.map((f) => label('sockjs', f.data, f.dir))).toEqual([
      'handshake sockjs open',
      'handshake sockjs send › ddp connect version=1',
      'handshake sockjs message › ddp connected',
      'data sockjs messages ×2: sockjs message › ddp added tasks id=a1, sockjs message › ddp ready subs=hTYm8nvv6r3s4i2Wz',
      'heartbeat sockjs message › ddp ping',
      'heartbeat sockjs send › ddp pong',
      'heartbeat sockjs heartbeat',
    ]);
  });

  it('other application messages inside SockJS are still shown as SockJS messages', () => {
    expect(label('sockjs', t('a["{\\"msg\\":\\"hello\\"}"]'))).toBe('data sockjs message "{\\"msg\\":\\"hello\\"}"');
  });
});
