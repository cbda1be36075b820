/**
 * Redaction rules one by one (src/core/formats/redact*.ts): what must go, what
 * must stay, and properties over arbitrary input (never throws; a credential
 * value put anywhere in arbitrary JSON never survives; idempotent).
 */
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent } from '../../src/core/events.ts';
import { Redactor, redactEvents, redactReport, redactUrl, REDACTED } from '../../src/core/formats/index.ts';
import { mqttConnectCredentials, redactBinary } from '../../src/core/formats/redact-binary.ts';
import { redactSubprotocol } from '../../src/core/formats/redact-names.ts';
import { redactText } from '../../src/core/formats/redact-text.ts';
import { decodeMessages } from '../../src/core/protocols/index.ts';

const text = (s: string) => redactText(s, () => {});

describe('what stays', () => {
  it('subprotocol names of real protocols', () => {
    for (const p of ['graphql-transport-ws', 'graphql-ws', 'v10.stomp', 'v11.stomp', 'v12.stomp', 'mqtt', 'mqttv3.1', 'actioncable-v1-json', 'actioncable-unsupported', 'wamp.2.json', 'wamp.2.msgpack.batched', 'centrifuge-protobuf', 'v4.channel.k8s.io', 'soap', 'xmpp']) {
      expect(redactSubprotocol(p), p).toBe(p);
    }
  });

  it('prose, ids and non-credential parameters', () => {
    for (const s of [
      'Basic authentication failed for this request',
      'Bearer tokens are sent in the Authorization header',
      'https://h.test/socket.io/?EIO=4&transport=polling&sid=abc123def456',
      'https://h.test/search?q=token&page=2&sort=desc',
      '{"type":"token_refresh","token_type":"Bearer","expires_in":3600,"scope":"read"}',
      '{"key":"user:42","sig":"v1","session":"s-1"}',
      'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==',
      'CONNECTED\nversion:1.2\nserver:rabbit\n\n\0',
      '42["chat",{"text":"the password field must be 8 characters"}]',
    ]) {
      expect(text(s), s).toBe(s);
    }
  });

  it('a redacted text redacted again is unchanged', () => {
    const once = text('{"access_token":"abc123DEF456"} https://u:p@h.test/?token=zz9Yy8Xx7&x=1 Bearer eyJhbGciOi.eyJzdWIiOjF9.c2ln');
    expect(once).not.toContain('abc123DEF456');
    expect(text(once)).toBe(once);
  });
});

describe('what goes', () => {
  it('credentials in free text, lines and parameters', () => {
    expect(text('GET /api?x=1&apiKey=k9Zq8Yw7 HTTP/1.1')).toBe(`GET /api?x=1&apiKey=${encodeURIComponent(REDACTED)} HTTP/1.1`);
    expect(text('Authorization: Bearer abcDEF1234567890\nAccept: */*')).toBe(`Authorization: ${REDACTED}\nAccept: */*`);
    expect(text('password=hunter2&user=ada')).toBe(`password=${encodeURIComponent(REDACTED)}&user=ada`);
    expect(text('{"a":"b","Password":12345678}')).toBe(`{"a":"b","Password":"${REDACTED}"}`);
    expect(text('{"auth":{"user":"ada","pin":1234,"remember":true}}')).toBe(`{"auth":{"user":"${REDACTED}","pin":"${REDACTED}","remember":true}}`);
    expect(redactUrl('https://h.test/cb?state=s1&code=c0de4567')).toBe(`https://h.test/cb?state=s1&code=${encodeURIComponent(REDACTED)}`);
    expect(redactUrl('https://h.test/x;jsessionid=ABC123def456?y=1')).toBe(`https://h.test/x;jsessionid=${encodeURIComponent(REDACTED)}?y=1`);
    expect(redactSubprotocol('base64url.bearer.authorization.k8s.io.dG9rZW4tMTIzNDU2')).toBe(`base64url.bearer.authorization.k8s.io.${REDACTED}`);
    expect(redactSubprotocol('3f2c1a9e-7b4d-4c2e-9f1a-8d7e6c5b4a39')).toBe(REDACTED);
  });

  it('JSON nested six levels deep in strings', () => {
    let inner = JSON.stringify({ refresh_token: 'deep-s3cret-Zq9Xm2' });
    for (let i = 0; i < 5; i++) inner = JSON.stringify({ wrapped: inner });
    expect(text(inner)).not.toContain('deep-s3cret-Zq9Xm2');
  });

  it('MQTT 5 CONNECT: user name, password and authentication data, masked in place; the packet still decodes', () => {
    const packet = mqttPacket.generate({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'dev-5', keepalive: 30,
      username: 'v5-user-name', password: Buffer.from('v5-Passw0rd-xyz'),
      will: { topic: 'dev/5/status', payload: Buffer.from('offline'), qos: 1, retain: false, properties: { willDelayInterval: 10 } },
      properties: { sessionExpiryInterval: 60, authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from('client-first-Nonce-9q8w7e') },
    });
    const found: string[] = [];
    const masked = Buffer.from(redactBinary(packet.toString('base64'), (s) => found.push(s)), 'base64');
    expect(masked.length).toBe(packet.length);
    for (const secret of ['v5-user-name', 'v5-Passw0rd-xyz', 'client-first-Nonce-9q8w7e']) {
      expect(masked.includes(Buffer.from(secret)), secret).toBe(false);
      expect(found).toContain(secret);
    }
    for (const kept of ['dev-5', 'dev/5/status', 'offline', 'SCRAM-SHA-1']) expect(masked.includes(Buffer.from(kept)), kept).toBe(true);
    const [decoded] = decodeMessages('mqtt', [{ dir: 'out', data: { size: masked.length, encoding: 'binary', data: masked.toString('base64'), truncated: false } }]);
    expect(decoded!.label).toBe('mqtt CONNECT v5 keepalive=30s client=dev-5');
  });

  it('MQTT CONNECT cut by the capture: what was captured of the password is masked', () => {
    const packet = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'c', keepalive: 60, username: 'u-name-77', password: Buffer.from('cut-Passw0rd-long') });
    const cut = packet.subarray(0, packet.length - 6);
    const masked = Buffer.from(redactBinary(cut.toString('base64'), () => {}), 'base64');
    expect(masked.includes(Buffer.from('cut-Passw0'))).toBe(false);
    expect(masked.includes(Buffer.from('u-name-77'))).toBe(false);
    expect(mqttConnectCredentials(Buffer.from([0x30, 0x02, 0x00, 0x00]))).toEqual([]);
  });

  it("a binary stream's chunk bytes (gRPC-web, Connect) are redacted like any binary payload", () => {
    const base = { pseq: 0, t: 1, frameId: 0, doc: 'd' };
    // A gRPC-web envelope whose protobuf field holds a bearer token, as the hooks record a streamed chunk.
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXZhbHVlLTEyMzQ1Njc4';
    const body = Buffer.concat([Buffer.from([0x00, 0x00, 0x00, 0x00, token.length + 2, 0x0a, token.length]), Buffer.from(token)]);
    const events: CaptureEvent[] = [
      { ...base, seq: 1, type: 'http.chunk', conn: 'd:1', size: body.length, preview: '', data: { size: body.length, encoding: 'binary', data: body.toString('base64'), truncated: false } },
    ];
    const [chunk] = redactEvents(events) as Array<Extract<CaptureEvent, { type: 'http.chunk' }>>;
    const bytes = Buffer.from(chunk!.data!.data, 'base64');
    expect(bytes.length).toBe(body.length);
    expect(bytes.toString('latin1')).not.toContain(token);
    expect(bytes.subarray(0, 7).equals(body.subarray(0, 7))).toBe(true);
  });

  it('a secret found in one event goes from every other, text and binary, and from a report', () => {
    const base = { pseq: 0, t: 1, frameId: 0, doc: 'd' };
    const events: CaptureEvent[] = [
      { ...base, seq: 1, type: 'ws.create', conn: 'd:1', url: 'wss://h.test/ws?access_token=Tk9zq8Yw7Xv6', protocols: [] },
      { ...base, seq: 2, type: 'ws.message', conn: 'd:1', dir: 'in', data: { size: 30, encoding: 'text', data: 'welcome Tk9zq8Yw7Xv6!', truncated: false } },
      { ...base, seq: 3, type: 'ws.message', conn: 'd:1', dir: 'in', data: { size: 16, encoding: 'binary', data: Buffer.from('\x82\xa1tTk9zq8Yw7Xv6', 'latin1').toString('base64'), truncated: false } },
      { ...base, seq: 4, type: 'ws.close', conn: 'd:1', code: 4001, reason: 'expired: Tk9zq8Yw7Xv6', wasClean: true, initiator: 'server' },
    ];
    const out = JSON.stringify(redactEvents(events));
    expect(out).not.toContain('Tk9zq8Yw7Xv6');
    expect(Buffer.from((redactEvents(events)[2] as Extract<CaptureEvent, { type: 'ws.message' }>).data.data, 'base64').toString('latin1')).toBe('\x82\xa1t************');
    expect(JSON.stringify(redactReport({ page: { url: 'x' }, evidence: ['closed with "expired: Tk9zq8Yw7Xv6"'] }, events))).not.toContain('Tk9zq8Yw7Xv6');
    const audit = new Redactor();
    audit.addSecret('cli-Cookie-Value-123');
    expect(audit.text('sent cli-Cookie-Value-123 back')).toBe(`sent ${REDACTED} back`);
  });
});

describe('properties', () => {
  it('never throws, and returns text unchanged when it holds no credential-looking thing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const out = text(s);
        expect(typeof out).toBe('string');
        expect(text(out)).toBe(out);
      }),
      { numRuns: 1000 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void redactBinary(Buffer.from(bytes).toString('base64'), () => {})), { numRuns: 1000 });
  });

  it('a credential put anywhere in arbitrary JSON, whole or cut anywhere, never survives', () => {
    const secret = 'Pr0p-S3cret-Zq9Xm2Lk7';
    const credentialKey = fc.constantFrom('token', 'access_token', 'refreshToken', 'password', 'apiKey', 'client_secret', 'Authorization', 'x-hasura-admin-secret', 'cred', 'tokens');
    const withSecret = fc.tuple(fc.jsonValue({ maxDepth: 3 }), credentialKey, fc.constantFrom('string', 'array', 'nested-string', 'object')).map(([json, key, shape]) => {
      const value = shape === 'string' ? secret : shape === 'array' ? [secret] : shape === 'object' ? { v: secret } : JSON.stringify({ [key]: secret });
      const holder = shape === 'nested-string' ? { payload: value } : { [key]: value };
      return JSON.stringify({ before: json, ...holder, after: json });
    });
    fc.assert(
      fc.property(withSecret, fc.nat(), fc.constantFrom('', '42', 'data: ', '\x1e'), (json, cutAt, prefix) => {
        const whole = prefix + json;
        expect(text(whole)).not.toContain(secret);
        // Cut anywhere after the secret began: what is left of it must not survive either.
        const start = whole.indexOf(secret);
        const cut = whole.slice(0, start + 6 + (cutAt % (whole.length - start - 5)));
        expect(text(cut)).not.toContain(secret.slice(0, 6));
      }),
      { numRuns: 500 },
    );
  });
});
