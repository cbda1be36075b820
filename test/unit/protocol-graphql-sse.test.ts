/**
 * GraphQL over SSE (graphql-sse 2.6.1): the real handler (lib/use/http) on
 * 127.0.0.1 driven by the real client (lib/client, fetch) in both modes, its
 * SSE events parsed as the page hooks parse them (src/core/sse-parser.ts), then
 * decoded and detected with their event names; plus what must stay other
 * protocols' (plain GraphQL over HTTP, other SSE event names).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { HeaderList, Payload } from '../../src/core/events.ts';
import { GRAPHQL_SSE_TIMINGS } from '../../src/core/protocols/graphql-sse.ts';
import { decodeMessage, detectProtocol, protocolTimings, type ProtocolHint } from '../../src/core/protocols/index.ts';
import { textPayload } from '../../src/core/protocols/util.ts';
import { libSource, libVersion } from './protocol-real-harness.ts';

const require = createRequire(import.meta.url);
// graphql-sse's CommonJS build requires graphql's CommonJS build: the schema must come from the same copy.
const { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } = require('graphql') as typeof import('graphql');
const { createHandler } = require('graphql-sse/lib/use/http') as typeof import('graphql-sse/lib/use/http');
const { createClient } = require('graphql-sse') as typeof import('graphql-sse');

interface Exchange {
  method: string;
  url: string;
  requestHeaders: HeaderList;
  status: number;
  contentType: string;
  body: string;
}

let http: Server;
let url: string;
const exchanges: Exchange[] = [];

beforeAll(async () => {
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: GraphQLInt,
          args: { count: { type: new GraphQLNonNull(GraphQLInt) } },
          subscribe: async function* (_root: unknown, args: { count: number }) {
            for (let n = 1; n <= args.count; n++) yield { ticks: n };
          },
        },
      },
    }),
  });
  const handler = createHandler({ schema });
  http = createServer((req, res) => {
    // Record each exchange as the page hooks would see it: request method, headers, status, body.
    const ex: Exchange = { method: req.method ?? '', url: req.url ?? '', requestHeaders: Object.entries(req.headers).map(([k, v]) => [k, String(v)]), status: 0, contentType: '', body: '' };
    exchanges.push(ex);
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      const headers = rest.find((r): r is Record<string, string> => typeof r === 'object' && r !== null);
      if (headers) ex.contentType = String(Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '').split(';')[0]!;
      return (writeHead as (...a: unknown[]) => ServerResponse)(status, ...rest);
    }) as typeof res.writeHead;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk) ex.body += String(chunk);
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk && typeof chunk !== 'function') ex.body += String(chunk);
      ex.status = res.statusCode;
      ex.contentType ||= String(res.getHeader('content-type') ?? '').split(';')[0]!;
      return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as typeof res.end;
    void handler(req, res);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql/stream`;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});
type ServerResponse = import('node:http').ServerResponse;

/** SSE events of a stream body: [event, data] (the fields graphql-sse writes: event, data; comments dropped). */
function sseEvents(body: string): Array<{ event: string; data: Payload }> {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event:'))?.slice(6).trim() ?? 'message';
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      return { event, data: textPayload(data) };
    });
}

async function run(singleConnection: boolean): Promise<void> {
  const client = createClient({ url, singleConnection, retryAttempts: 0 });
  const one = (query: string) =>
    new Promise<void>((resolve, reject) => client.subscribe({ query }, { next: () => {}, error: reject, complete: resolve }));
  await one('{ hello }');
  await one('subscription { ticks(count: 2) }');
  client.dispose();
}

const hintOf = (ex: Exchange): ProtocolHint => {
  const events = ex.contentType === 'text/event-stream' ? sseEvents(ex.body) : [];
  return {
    transport: 'fetch',
    url: `http://127.0.0.1${ex.url}`,
    requestedProtocols: [],
    negotiatedProtocol: '',
    samples: events.length ? events.map((e) => ({ dir: 'in' as const, data: e.data, event: e.event })) : ex.body ? [{ dir: 'in' as const, data: textPayload(ex.body) }] : [],
    method: ex.method,
    requestHeaders: ex.requestHeaders,
    status: ex.status,
    contentType: ex.contentType,
  };
};
const lines = (ex: Exchange) => sseEvents(ex.body).map((e) => {
  const d = decodeMessage('graphql-sse', e.data, 'in', { event: e.event });
  return `${d.role} ${d.label}`;
});

describe('graphql-sse, real client and handler', () => {
  it('distinct connections: a POST per operation, next events then complete', async () => {
    exchanges.length = 0;
    await run(false);
    expect(exchanges.map((e) => `${e.method} ${e.status} ${e.contentType}`)).toEqual(['POST 200 text/event-stream', 'POST 200 text/event-stream']);
    expect(lines(exchanges[0]!)).toEqual(['data graphql-sse next hello', 'control graphql-sse complete']);
    expect(lines(exchanges[1]!)).toEqual(['data graphql-sse next ticks', 'data graphql-sse next ticks', 'control graphql-sse complete']);
    for (const ex of exchanges) expect(detectProtocol(hintOf(ex))?.id).toBe('graphql-sse');
    // Without the event names (a decoder told only the data), plain GraphQL results are not enough.
    const bare = hintOf(exchanges[1]!);
    expect(detectProtocol({ ...bare, samples: bare.samples.map(({ dir, data }) => ({ dir, data })) })?.id).not.toBe('graphql-sse');
  });

  it('single connection: reservation PUT, token-bearing stream, 202 operations; next/complete carry the operation id', async () => {
    exchanges.length = 0;
    await run(true);
    const summary = exchanges.map((e) => `${e.method} ${e.status}`);
    expect(summary.slice(0, 3)).toEqual(['PUT 201', 'GET 200', 'POST 202']);
    expect(summary.filter((s) => s === 'POST 202')).toHaveLength(2);
    const put = exchanges[0]!;
    const d = decodeMessage('graphql-sse', textPayload(put.body), 'in');
    expect(`${d.role} ${d.label}`).toBe('handshake graphql-sse reservation token');
    // The reservation carries no token yet: its 201 and token body on a GraphQL path tell it.
    expect(detectProtocol(hintOf(put))?.id).toBe('graphql-sse');
    expect(detectProtocol({ ...hintOf(put), url: 'http://127.0.0.1/api/session' })).toBeNull();
    // The client is lazy by default (lib/client.js lazy = true): a reservation and a stream per operation here.
    const streams = exchanges.filter((e) => e.method === 'GET');
    expect(streams).toHaveLength(2);
    for (const stream of streams) expect(stream.requestHeaders.some(([k]) => k === 'x-graphql-event-stream-token')).toBe(true);
    const labelled = streams.flatMap(lines);
    expect(labelled.filter((l) => /^data graphql-sse next id=[\w-]+ hello$/.test(l))).toHaveLength(1);
    expect(labelled.filter((l) => /^data graphql-sse next id=[\w-]+ ticks$/.test(l))).toHaveLength(2);
    expect(labelled.filter((l) => /^control graphql-sse complete id=[\w-]+$/.test(l))).toHaveLength(2);
    for (const ex of exchanges) expect(detectProtocol(hintOf(ex))?.id, `${ex.method} ${ex.url}`).toBe('graphql-sse');
  });
});

describe('graphql-sse: what it must leave to others', () => {
  const sse = (event: string, data: string) => ({ dir: 'in' as const, data: textPayload(data), event });
  const hint = (over: Partial<ProtocolHint>): ProtocolHint => ({ transport: 'eventsource', url: 'http://x/events', requestedProtocols: [], negotiatedProtocol: '', samples: [], ...over });

  it('other event names, plain JSON and WebSockets are not graphql-sse', () => {
    expect(detectProtocol(hint({ samples: [sse('next', '{"data":{"a":1}}'), sse('price', '{"v":1}')] }))?.id).not.toBe('graphql-sse');
    expect(detectProtocol(hint({ samples: [sse('message', '{"type":"update"}')] }))?.id).toBe('json');
    // GraphQL over HTTP (a JSON result, no stream) stays a plain request.
    expect(detectProtocol(hint({ transport: 'fetch', url: 'http://x/graphql', samples: [{ dir: 'in', data: textPayload('{"data":{"hello":"world"}}') }], method: 'POST', status: 200 }))?.id).not.toBe('graphql-sse');
    // graphql-ws also sends "next" (over a WebSocket, as a type field).
    expect(detectProtocol(hint({ transport: 'websocket', samples: [sse('next', '{"data":{"a":1}}')] }))?.id).not.toBe('graphql-sse');
  });

  it('errors and the heartbeat default', () => {
    const d = decodeMessage('graphql-sse', textPayload('{"errors":[{"message":"Cannot query field \\"nope\\""}]}'), 'in', { event: 'next' });
    expect(`${d.role} ${d.label}`).toBe('error graphql-sse next errors=1 "Cannot query field \\"nope\\""');
    expect(libVersion('graphql-sse')).toBe('2.6.1');
    expect(libSource('graphql-sse', 'lib/handler.js')).toContain("pinger = setInterval(() => msgs.next(':\\n\\n'), 12000);");
    expect(protocolTimings('graphql-sse')).toEqual(GRAPHQL_SSE_TIMINGS);
  });
});

describe('graphql-sse on arbitrary input', () => {
  it('decode with any event name and detect with any HTTP facts never throw and stay well-formed', () => {
    const event = fc.oneof(fc.constantFrom('next', 'complete', 'message', null, undefined, '__proto__'), fc.string());
    const json = fc.jsonValue().map((v) => JSON.stringify(v));
    const text = fc.oneof(json, fc.string(), json.map((j) => `{"id":"x","payload":${j}}`));
    fc.assert(
      fc.property(text, event, fc.string(), fc.oneof(fc.integer(), fc.constant(null)), fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 3 }), (body, ev, method, status, headers) => {
        const d = decodeMessage('graphql-sse', textPayload(body), 'in', { event: ev });
        expect(d.protocol).toBe('graphql-sse');
        expect(typeof d.label).toBe('string');
        const c = detectProtocol({ transport: 'fetch', url: 'http://x/graphql?token=1', requestedProtocols: [], negotiatedProtocol: '', samples: [{ dir: 'in', data: textPayload(body), event: ev }], method, status, requestHeaders: headers });
        if (c) expect(c.confidence).toBeGreaterThanOrEqual(0.3);
      }),
      { numRuns: 400 },
    );
  });
});
