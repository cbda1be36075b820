import { describe, expect, it } from 'vitest';
import { explainInvalidEvent, isCaptureEvent } from '../../src/core/guard.ts';

const wsMessage = {
  type: 'ws.message', seq: 0, pseq: 3, t: 1700000000000.25, frameId: 0, doc: 'd1', conn: 'd1:1',
  dir: 'in', data: { size: 2, encoding: 'text', data: 'hi', truncated: false },
};

describe('event guard (node)', () => {
  it('accepts a well-formed event', () => {
    expect(explainInvalidEvent(wsMessage)).toBeNull();
  });
  it('rejects unknown types, missing fields and extra fields with a reason', () => {
    expect(explainInvalidEvent({ ...wsMessage, type: 'evil' })).toMatch(/unknown event type/);
    expect(explainInvalidEvent({ ...wsMessage, dir: 'sideways' })).toMatch(/"dir"/);
    expect(explainInvalidEvent({ ...wsMessage, extra: 1 })).toMatch(/unexpected field "extra"/);
    expect(isCaptureEvent(null)).toBe(false);
    expect(isCaptureEvent('{"type":"ws.message"}')).toBe(false);
  });
  it('rejects oversized strings', () => {
    expect(isCaptureEvent({ ...wsMessage, doc: 'x'.repeat(2_000_000) })).toBe(false);
  });
  it('http.chunk: takes a binary chunk payload (gRPC-web, Connect), and only a payload', () => {
    const chunk = { type: 'http.chunk', seq: 0, pseq: 4, t: 1700000000001, frameId: 0, doc: 'd1', conn: 'd1:2', size: 7, preview: '' };
    expect(explainInvalidEvent(chunk)).toBeNull();
    expect(explainInvalidEvent({ ...chunk, data: { size: 7, encoding: 'binary', data: 'AAAAAAIIAQ==', truncated: false } })).toBeNull();
    expect(explainInvalidEvent({ ...chunk, data: 'AAAAAAIIAQ==' })).toMatch(/"data"/);
    expect(explainInvalidEvent({ ...chunk, data: { size: -1, encoding: 'binary', data: '', truncated: false } })).toMatch(/"data.size"/);
    expect(explainInvalidEvent({ ...chunk, data: null })).toMatch(/"data"/);
  });
});
