/**
 * engine.io-client names its family in every request's query (EIO and
 * transport; engine.io-client 6.6.8 build/esm/socket.js createTransport), on
 * whatever `path` the app mounts socket.io: channels with no payload to go by
 * (a WebSocket upgrade refused before it opened, handshake polls that got no
 * body) must still read as socket.io / engine.io, and payloads must still win.
 */
import { describe, expect, it } from 'vitest';
import { detectProtocol, type ProtocolHint } from '../../src/core/protocols/index.ts';
import { textPayload } from '../../src/core/protocols/util.ts';

const hint = (over: Partial<ProtocolHint>): ProtocolHint => ({
  transport: 'xhr',
  url: 'https://example.test/live/?EIO=4&transport=polling&t=PZ1a',
  requestedProtocols: [],
  negotiatedProtocol: '',
  samples: [],
  ...over,
});
const open = '0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';

describe('engine.io family from the query alone', () => {
  it('a refused WebSocket upgrade and body-less polls on an app-chosen path read as socket.io', () => {
    expect(detectProtocol(hint({ transport: 'websocket', url: 'wss://example.test/live/?EIO=4&transport=websocket&sid=abc' }))?.id).toBe('socket.io');
    expect(detectProtocol(hint({}))?.id).toBe('socket.io');
    // Only the POST acknowledgements ("ok") so far: they say nothing either way.
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: textPayload('ok') }] }))?.id).toBe('socket.io');
    expect(detectProtocol(hint({ url: 'https://example.test/rt?EIO=3&transport=polling' }))?.id).toBe('socket.io-v2');
  });

  it('payloads still decide between socket.io and plain engine.io', () => {
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: textPayload(open) }] }))?.id).toBe('engine.io');
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: textPayload(`${open}\x1e40{"sid":"x"}`) }] }))?.id).toBe('socket.io');
  });

  it('needs both parameters, and payloads that are not engine.io overrule them', () => {
    expect(detectProtocol(hint({ url: 'https://example.test/live/?EIO=4' }))).toBeNull();
    expect(detectProtocol(hint({ url: 'https://example.test/live/?transport=polling' }))).toBeNull();
    expect(detectProtocol(hint({ url: 'https://example.test/live/?EIO=4&transport=carrier-pigeon' }))).toBeNull();
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: textPayload('{"hello":"world"}') }] }))?.id).not.toMatch(/socket\.io|engine\.io/);
  });
});
