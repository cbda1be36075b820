/**
 * GraphQL over multipart/mixed (src/core/protocols/graphql-multipart.ts): incremental
 * delivery (@defer/@stream, both the 2022 format Apollo Client 3 reads and the 2023
 * format of graphql-js 17 with pending/completed) and Apollo's multipart subscriptions
 * with their `{}` heartbeats, on bodies as the hooks capture them (multipart/mixed is
 * not a text type: base64 of the first bytes).
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, detectProtocol, protocolTimings } from '../../src/core/protocols/index.ts';
import { splitMultipart } from '../../src/core/protocols/graphql-multipart.ts';
import type { ProtocolHint } from '../../src/core/protocols/types.ts';
import { binaryPayload, bytesToBase64, flattenDecoded } from '../../src/core/protocols/util.ts';
import type { Payload } from '../../src/core/events.ts';

const enc = new TextEncoder();
const part = (boundary: string, value: unknown, eol = '\r\n') => `${eol}--${boundary}${eol}content-type: application/json; charset=utf-8${eol}${eol}${JSON.stringify(value)}`;
const body = (boundary: string, values: unknown[], close = true, eol = '\r\n') => values.map((v) => part(boundary, v, eol)).join('') + (close ? `${eol}--${boundary}--${eol}` : '');
const payload = (text: string): Payload => binaryPayload(enc.encode(text));
const labels = (data: Payload) => flattenDecoded(decodeMessage('graphql-multipart', data, 'in')).map((d) => `${d.role} ${d.label}`);
const hint = (over: Partial<ProtocolHint>): ProtocolHint => ({ transport: 'fetch', url: 'http://127.0.0.1/graphql', requestedProtocols: [], negotiatedProtocol: '', samples: [], method: 'POST', ...over });

const DEFER_2022 = [
  { data: { hero: { id: '1', name: 'R2-D2' } }, hasNext: true },
  { incremental: [{ data: { friends: [] }, path: ['hero'], label: 'friends' }], hasNext: true },
  { incremental: [{ data: { appearsIn: ['NEWHOPE'] }, path: ['hero'] }], hasNext: false },
];

describe('GraphQL incremental delivery over multipart/mixed', () => {
  it('@defer, boundary "-": initial, subsequent (incremental), hasNext=false', () => {
    expect(labels(payload(body('-', DEFER_2022)))).toEqual([
      'data graphql-multipart initial {hero} hasNext=true',
      'data graphql-multipart subsequent (incremental ×1) hasNext=true',
      'data graphql-multipart subsequent (incremental ×1) hasNext=false',
    ]);
    expect(splitMultipart(body('-', DEFER_2022), false)).toMatchObject({ boundary: '-', closed: true });
  });

  it('the 2023 format (pending, completed, @stream items) and a closing {hasNext:false}', () => {
    const parts = [
      { data: { list: [1] }, pending: [{ id: '0', path: ['list'] }], hasNext: true },
      { incremental: [{ id: '0', items: [2, 3] }], hasNext: true },
      { completed: [{ id: '0' }], hasNext: true },
      { hasNext: false },
    ];
    expect(labels(payload(body('graphql', parts)))).toEqual([
      'data graphql-multipart initial {list} hasNext=true',
      'data graphql-multipart subsequent (incremental ×1) hasNext=true',
      'control graphql-multipart completed ×1 hasNext=true',
      'control graphql-multipart hasNext=false',
    ]);
  });

  it('the 2022 format of a subsequent payload with its own data and path; LF line ends', () => {
    const parts = [{ data: { hero: { id: '1' } }, hasNext: true }, { data: { name: 'R2-D2' }, path: ['hero'], label: 'n', hasNext: false }];
    expect(labels(payload(body('-', parts, true, '\n')))).toEqual(['data graphql-multipart initial {hero} hasNext=true', 'data graphql-multipart subsequent path=hero hasNext=false']);
  });

  it('a body cut by the capture ends with a cut part', () => {
    const full = enc.encode(body('-', DEFER_2022));
    const cut: Payload = { size: full.length, encoding: 'binary', data: bytesToBase64(full.subarray(0, 150)), truncated: true };
    expect(labels(cut)).toEqual(['data graphql-multipart initial {hero} hasNext=true', 'data graphql-multipart part (cut)']);
  });
});

describe("Apollo's multipart subscriptions", () => {
  const SUB = [{}, { payload: { data: { ticks: 1 } } }, {}, { payload: { data: { ticks: 2 } } }];

  it('{} parts are heartbeats, {payload} parts are events, {payload:null, errors} a transport error', () => {
    expect(labels(payload(body('graphql', [...SUB, { payload: null, errors: [{ message: 'subgraph gone' }] }])))).toEqual([
      'heartbeat graphql-multipart heartbeat',
      'data graphql-multipart subscription next {ticks}',
      'heartbeat graphql-multipart heartbeat',
      'data graphql-multipart subscription next {ticks}',
      'error graphql-multipart subscription error errors=1 "subgraph gone"',
    ]);
  });

  it('a stream still open (no close delimiter) decodes what arrived', () => {
    expect(labels(payload(body('graphql', SUB, false)))).toEqual([
      'heartbeat graphql-multipart heartbeat',
      'data graphql-multipart subscription next {ticks}',
      'heartbeat graphql-multipart heartbeat',
      'data graphql-multipart subscription next {ticks}',
    ]);
  });

  it('the 5 s heartbeat of Apollo Router is the default timing, sent by the server', () => {
    expect(protocolTimings('graphql-multipart')).toMatchObject({ heartbeatMs: 5000, heartbeatDirection: 'server' });
  });
});

describe('detection', () => {
  it('multipart/mixed with GraphQL parts; the accept header of Apollo Client before any part arrives', () => {
    expect(detectProtocol(hint({ contentType: 'multipart/mixed', samples: [{ dir: 'in', data: payload(body('-', DEFER_2022)) }] }))).toEqual({ id: 'graphql-multipart', confidence: 0.9 });
    expect(detectProtocol(hint({ url: 'http://x/api', contentType: 'multipart/mixed', requestHeaders: [['accept', 'multipart/mixed;deferSpec=20220824,application/json']] }))?.id).toBe('graphql-multipart');
    // A body without its media type (an imported capture).
    expect(detectProtocol(hint({ samples: [{ dir: 'in', data: payload(body('graphql', [{}, { payload: { data: { a: 1 } } }])) }] }))?.id).toBe('graphql-multipart');
  });

  it('other multipart bodies are not GraphQL', () => {
    const files = '--b\r\ncontent-type: text/plain\r\n\r\nhello\r\n--b--\r\n';
    expect(detectProtocol(hint({ url: 'http://x/upload', contentType: 'multipart/mixed', samples: [{ dir: 'in', data: payload(files) }] }))?.id).not.toBe('graphql-multipart');
    expect(detectProtocol(hint({ url: 'http://x/cam', contentType: 'multipart/x-mixed-replace', samples: [{ dir: 'in', data: payload(body('-', DEFER_2022)) }] }))?.id).not.toBe('graphql-multipart');
    expect(detectProtocol(hint({ transport: 'websocket', contentType: 'multipart/mixed' }))?.id).not.toBe('graphql-multipart');
  });
});
