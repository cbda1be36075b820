/**
 * The capture file: write and read back, clear errors for broken files,
 * invalid events skipped by index without losing valid ones, redaction.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPTURE_SCHEMA_VERSION } from '../../src/core/events.ts';
import {
  CaptureFormatError,
  importCaptureOrHar,
  isCredentialHeader,
  parseCaptureFile,
  redactUrl,
  serializeCaptureFile,
} from '../../src/core/formats/index.ts';
import { realisticSession } from '../fixtures/har/realistic-session.ts';

const page = { url: 'https://shop.example.test/orders', title: 'Orders' };
const session = realisticSession();

function errorOf(fn: () => unknown): CaptureFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CaptureFormatError) return e;
    throw e;
  }
  throw new Error('expected a CaptureFormatError');
}

describe('capture file round trip', () => {
  it('reads back exactly what it wrote (redaction off)', () => {
    const text = serializeCaptureFile(session, page, { redact: false, createdAt: '2026-11-24T12:00:00.000Z' });
    const file = parseCaptureFile(text);
    expect(file).toEqual({
      format: 'realtime-inspector-capture',
      version: CAPTURE_SCHEMA_VERSION,
      createdAt: '2026-11-24T12:00:00.000Z',
      page,
      redacted: false,
      events: session,
      skipped: [],
    });
  });

  it('writes one event per line so that captures diff well', () => {
    const text = serializeCaptureFile(session, page, { redact: false });
    expect(text.trimEnd().split('\n')).toHaveLength(session.length + 2);
    expect(parseCaptureFile(serializeCaptureFile([], page)).events).toEqual([]);
  });

  it('redacts credentials by default and says so', () => {
    const text = serializeCaptureFile(session, { url: 'https://shop.example.test/?token=zzz', title: 'x' });
    for (const secret of ['very-secret', 'abc123', 'tok0', 's3cr3t', 'zzz', 'auth=xyz']) expect(text, secret).not.toContain(secret);
    const file = parseCaptureFile(text);
    expect(file.redacted).toBe(true);
    // Redaction changes values, never the facts the analysis uses.
    expect(file.events.map((e) => [e.type, e.t, 'conn' in e ? e.conn : null])).toEqual(session.map((e) => [e.type, e.t, 'conn' in e ? e.conn : null]));
    const end = file.events.find((e) => e.type === 'http.end' && e.conn === 'doc-a:1');
    expect(end).toEqual(session.find((e) => e.type === 'http.end' && e.conn === 'doc-a:1'));
  });
});

describe('broken capture files give clear errors', () => {
  it('corrupt JSON: where and why', () => {
    const text = serializeCaptureFile(session.slice(0, 3), page).replace('"http.request"', '"http.request');
    const e = errorOf(() => parseCaptureFile(text));
    expect(e.message).toMatch(/^The capture file is not valid JSON at line 3, column \d+: /);
    expect(errorOf(() => parseCaptureFile('')).message).toBe('The capture file is empty.');
  });

  it('wrong format, HAR, wrong version, no events array', () => {
    expect(errorOf(() => parseCaptureFile('[]')).message).toBe('Not a capture file: expected a JSON object with "format": "realtime-inspector-capture".');
    expect(errorOf(() => parseCaptureFile('{"format":"something-else","version":1,"events":[]}')).message).toBe(
      'Not a capture file: "format" is "something-else", expected "realtime-inspector-capture".',
    );
    expect(errorOf(() => parseCaptureFile('{"log":{"entries":[]}}')).message).toMatch(/HAR file/);
    expect(errorOf(() => parseCaptureFile('{"format":"realtime-inspector-capture","version":99,"events":[]}')).message).toBe(
      `This capture file is version 99, written by a newer Realtime Inspector; this build reads version ${CAPTURE_SCHEMA_VERSION}.`,
    );
    expect(errorOf(() => parseCaptureFile('{"format":"realtime-inspector-capture","version":"1","events":[]}')).message).toMatch(/"version" is "1"/);
    expect(errorOf(() => parseCaptureFile('{"format":"realtime-inspector-capture","version":1,"events":{}}')).message).toBe(
      'Invalid capture file: "events" is not an array.',
    );
  });

  it('skips invalid events by index with the guard\'s reason and keeps every valid one', () => {
    const json = JSON.parse(serializeCaptureFile(session, page, { redact: false })) as { events: unknown[] };
    json.events.splice(2, 0, { type: 'ws.message', seq: 1 }, 'garbage');
    json.events.push({ ...session[1]!, extra: true });
    const file = parseCaptureFile(JSON.stringify(json));
    expect(file.events).toEqual(session);
    expect(file.skipped).toEqual([
      { index: 2, reason: 'ws.message: bad field "pseq"' },
      { index: 3, reason: 'not an object' },
      { index: session.length + 2, reason: 'http.request: unexpected field "extra"' },
    ]);
  });

  it('a file with no valid event at all is an error that lists the problems', () => {
    const bad = Array.from({ length: 12 }, (_, i) => ({ type: 'nope', i }));
    const e = errorOf(() => parseCaptureFile(JSON.stringify({ format: 'realtime-inspector-capture', version: 1, events: bad })));
    expect(e.message).toMatch(/^No valid events in the capture file \(12 invalid\): event 0: unknown event type "nope"/);
    expect(e.problems).toHaveLength(11);
    expect(e.problems.at(-1)).toBe('… and 2 more');
  });

  it('never throws anything but CaptureFormatError, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ format: 'realtime-inspector-capture', version: 1, events: [v] }))), (text) => {
        try {
          importCaptureOrHar(text);
        } catch (e) {
          expect(e).toBeInstanceOf(CaptureFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('redaction rules', () => {
  it('credential headers', () => {
    for (const h of ['Authorization', 'cookie', 'Set-Cookie', 'Proxy-Authorization', 'X-Api-Key', 'x-auth-token', 'X-CSRF-Token', 'x-amz-security-token', 'my-service-secret']) {
      expect(isCredentialHeader(h), h).toBe(true);
    }
    for (const h of ['content-type', 'accept', 'etag', 'x-request-id', 'cache-control']) expect(isCredentialHeader(h), h).toBe(false);
  });

  it('URL tokens and user-info, leaving the rest of the URL as it was', () => {
    expect(redactUrl('wss://rt.test/socket?EIO=4&token=abc&room=7')).toBe('wss://rt.test/socket?EIO=4&token=%5BREDACTED%5D&room=7');
    expect(redactUrl('https://u:p@h.test/a?access_token=x&apiKey=y&sig=z&X-Amz-Signature=q&page=2')).toBe(
      'https://[REDACTED]@h.test/a?access_token=%5BREDACTED%5D&apiKey=%5BREDACTED%5D&sig=%5BREDACTED%5D&X-Amz-Signature=%5BREDACTED%5D&page=2',
    );
    expect(redactUrl('https://h.test/callback#id_token=abc&state=1')).toBe('https://h.test/callback#id_token=%5BREDACTED%5D&state=1');
    expect(redactUrl('https://h.test/socket.io/?EIO=4&transport=polling&sid=abc')).toBe('https://h.test/socket.io/?EIO=4&transport=polling&sid=abc');
  });
});
