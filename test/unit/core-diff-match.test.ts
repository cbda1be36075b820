/**
 * Matching channels across two captures (src/core/diff/match.ts): every generated value in
 * their URLs differs between two page loads, and the pairing must survive that. Checked on
 * real captures of every demo-lab page taken twice (test/fixtures/diff/, recorded by
 * test/fixtures/record-diff-captures.ts), and by properties: random token substitution of
 * every kind the grouper meets keeps the pairing, whatever the order; unrelated endpoints
 * never pair; no channel is paired twice.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyzeCapture } from '../../src/core/index.ts';
import { EndpointGrouper } from '../../src/core/channels.ts';
import { channelSimilarity, matchChannels, MIN_MATCH_SCORE, valueSimilarity } from '../../src/core/diff/index.ts';
import { importCaptureOrHar } from '../../src/core/formats/index.ts';
import type { ChannelKind, ChannelReport, Report } from '../../src/core/report-types.ts';
import type { Transport } from '../../src/core/events.ts';
import { channelReport } from './core-builders.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/diff');

/** Every lab page's two runs, analysed. */
function labRuns(): Array<{ page: string; run1: Report; run2: Report }> {
  const pages = [...new Set(readdirSync(FIXTURES).map((f) => f.replace(/\.run\d\.json$/, '')))].sort();
  const load = (file: string) => analyzeCapture(importCaptureOrHar(readFileSync(join(FIXTURES, file), 'utf8')).events);
  return pages.map((page) => ({ page, run1: load(`${page}.run1.json`), run2: load(`${page}.run2.json`) }));
}

/** A channel report with only the identity the matcher reads. */
function channel(identity: Pick<ChannelReport, 'id' | 'url' | 'sampleUrl' | 'transport' | 'kind' | 'protocol' | 'origin'>): ChannelReport {
  return channelReport(identity);
}

describe('channel matching on real captures of the demo lab, taken twice', () => {
  const runs = labRuns();

  it('has every page twice, with generated values in the URLs that differ between the runs', () => {
    expect(runs.length).toBeGreaterThanOrEqual(15);
    const urls = (r: Report) => r.channels.map((c) => c.sampleUrl).join(' ');
    // The lab's per-load client id, socket.io's sid and yeast cache-buster: no page repeats its URLs.
    const differing = runs.filter((r) => urls(r.run1) !== urls(r.run2)).map((r) => r.page);
    expect(differing.length).toBeGreaterThanOrEqual(9);
    expect(differing).toEqual(expect.arrayContaining(['polling-naive', 'socketio-ws', 'longpoll-held', 'reconnect-backoff']));
  });

  it.each(runs.map((r) => [r.page, r] as const))('%s: every channel of run 1 pairs with its own in run 2', (_page, { run1, run2 }) => {
    const m = matchChannels(run1.channels, run2.channels);
    expect(m.onlyBefore).toEqual([]);
    expect(m.onlyAfter).toEqual([]);
    for (const p of m.pairs) {
      const [a, b] = [run1.channels[p.before]!, run2.channels[p.after]!];
      expect(b.transport).toBe(a.transport);
      // Same endpoint once the lab's per-load client id is left out.
      expect(b.url.replace(/client=[^&]*/, '')).toBe(a.url.replace(/client=[^&]*/, ''));
    }
  });

  it('all pages in one report each: each channel finds its own page among look-alikes on other hosts, in any order', () => {
    const tag = (page: string, channels: ChannelReport[]) => channels.map((c) => ({ page, c }));
    const before = runs.flatMap((r) => tag(r.page, r.run1.channels));
    const after = runs.flatMap((r) => tag(r.page, r.run2.channels)).reverse();
    const m = matchChannels(
      before.map((x) => x.c),
      after.map((x) => x.c),
    );
    expect(m.onlyBefore).toEqual([]);
    expect(m.onlyAfter).toEqual([]);
    for (const p of m.pairs) expect(after[p.after]!.page).toBe(before[p.before]!.page);
  });

  it('channels of different lab pages on one host do not pair', () => {
    const rehost = (r: Report) => r.channels.map((c) => ({ ...c, url: c.url.replace(/\/\/[^/]+/, '//lab.localhost:8080') }));
    const polling = runs.find((r) => r.page === 'polling-naive')!;
    const longpoll = runs.find((r) => r.page === 'longpoll-held')!;
    const m = matchChannels(rehost(polling.run1), rehost(longpoll.run2));
    expect(m.pairs).toEqual([]);
  });
});

describe('value and channel similarity', () => {
  it('pairs generated values of one kind and keeps names apart', () => {
    expect(valueSimilarity('k3j4h5g6a1', 'x9y8z7w6v5', 'query')).toBeGreaterThan(0);
    expect(valueSimilarity(':token', 'AbC123xyz789', 'path')).toBeGreaterThan(0);
    expect(valueSimilarity('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIyIn0.b3RoZXJzaWdu', 'query')).toBeGreaterThan(0);
    expect(valueSimilarity('v1.2.3', 'v1.2.4', 'query')).toBeGreaterThan(0);
    expect(valueSimilarity('%5BREDACTED%5D', 'secret-value', 'query')).toBeGreaterThan(0);
    expect(valueSimilarity('news', 'sports', 'query')).toBe(0);
    expect(valueSimilarity('notifications', 'subscriptions', 'path')).toBe(0);
    expect(valueSimilarity('polling', 'websocket', 'query')).toBe(0);
  });

  const ws = (url: string, kind: ChannelKind = 'websocket') => channel({ id: `websocket ${url}`, url, sampleUrl: url, transport: 'websocket', kind, protocol: 'json' });
  const get = (url: string, method = 'GET') => channel({ id: `fetch ${method} ${url}`, url, sampleUrl: url, transport: 'fetch', kind: 'polling', protocol: 'json' });

  it('needs the same transport family, method and path depth', () => {
    expect(channelSimilarity(get('https://a.example/api/feed'), get('https://a.example/api/feed'))).toBe(1);
    expect(channelSimilarity(get('https://a.example/api/feed'), get('https://a.example/api/feed', 'POST'))).toBe(0);
    expect(channelSimilarity(get('https://a.example/api/feed'), ws('https://a.example/api/feed'))).toBe(0);
    expect(channelSimilarity(get('https://a.example/api/feed'), get('https://a.example/api/feed/more'))).toBe(0);
    expect(channelSimilarity(get('https://a.example/api/notifications'), get('https://a.example/api/subscriptions'))).toBe(0);
  });

  it('pairs a channel whose kind changed, below the same channel unchanged', () => {
    const before = [ws('wss://a.example/live?room=:n')];
    const same = channelSimilarity(before[0]!, ws('wss://a.example/live?room=:n'));
    const changed = channelSimilarity(before[0]!, ws('wss://a.example/live?room=:n', 'streaming'));
    expect(changed).toBeGreaterThanOrEqual(MIN_MATCH_SCORE);
    expect(changed).toBeLessThan(same);
  });

  it('gives two equally good candidates to two channels, one each', () => {
    const before = [ws('wss://a.example/ws?client=aa11bb22cc'), ws('wss://a.example/ws?client=dd33ee44ff')];
    const after = [ws('wss://a.example/ws?client=gg55hh66ii'), ws('wss://a.example/ws?client=jj77kk88ll')];
    const m = matchChannels(before, after);
    expect(m.pairs.map((p) => [p.before, p.after])).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });
});

// ---- Properties: random endpoints, every run with fresh generated values ----

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const chars = (alphabet: string, min: number, max = min) => fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength: min, maxLength: max });
/** An opaque token with a digit somewhere (a path token without one reads as a name: README, Known limitations). */
const tokenWithDigit = fc.tuple(chars(BASE64URL, 15, 30), fc.integer({ min: 0, max: 9 }), fc.nat()).map(([s, d, at]) => {
  const i = at % (s.length + 1);
  return `${s.slice(0, i)}${d}${s.slice(i)}`;
});

/** The places generated values take in URLs, each with a generator of fresh values. */
const VOLATILE = {
  uuid: { path: true, value: fc.uuid() },
  numericId: { path: true, value: fc.integer({ min: 1, max: 2 ** 40 }).map(String) },
  hexHash: { path: true, value: chars('0123456789abcdef', 32).map((s) => `${s}0`) },
  pathToken: { path: true, value: tokenWithDigit },
  // sockjs-client 1.6 lib/utils/random.js: server 3 digits, session string(8) of [a-z0-5].
  sockjs: { path: true, value: fc.tuple(fc.integer({ min: 0, max: 999 }), chars('abcdefghijklmnopqrstuvwxyz012345', 8)).map(([n, s]) => `${String(n).padStart(3, '0')}/${s}`) },
  // engine.io-client 6.x: sid after the handshake, t a yeast timestamp.
  socketIoSid: { path: false, key: 'sid', value: chars(BASE64URL, 20) },
  yeast: { path: false, key: 't', value: chars('0123456789abcdefghijklmnopqrstuvwxyz', 7, 8) },
  cacheBuster: { path: false, key: '_', value: fc.integer({ min: 1.7e12, max: 1.9e12 }).map(String) },
  jwt: { path: false, key: 'access_token', value: fc.tuple(chars(BASE64URL, 20, 40), chars(BASE64URL, 30, 90), chars(BASE64URL, 43)).map(([h, p, s]) => `eyJ${h}.eyJ${p}.${s}`) },
  // The demo lab's per-load client id: Math.random().toString(36).slice(2, 12).
  clientId: { path: false, key: 'client', value: chars('0123456789abcdefghijklmnopqrstuvwxyz', 10) },
  // An ASP.NET Core SignalR connection token that drew no digit: 22 base64url letters.
  lettersToken: { path: false, key: 'id', value: chars('abcdefghijklmnopqrstuvwxyz', 22) },
} as const;
type VolatileKind = keyof typeof VOLATILE;

const WORDS = ['api', 'feed', 'live', 'poll', 'events', 'stream', 'chat', 'updates', 'prices', 'graphql', 'hub', 'notify', 'orders', 'ticker', 'presence', 'sync', 'metrics', 'inbox'];
const HOSTS = ['https://app.example', 'https://rt.example:8443', 'http://127.0.0.1:8080'];
const TRANSPORTS: Transport[] = ['fetch', 'xhr', 'websocket', 'eventsource'];
const KINDS: ChannelKind[] = ['polling', 'long-polling', 'sse', 'websocket', 'streaming', 'one-off'];

interface EndpointSpec {
  host: string;
  words: string[];
  transport: Transport;
  method: string;
  volatile: VolatileKind[];
  fixedQuery: Array<[string, string]>;
  /** Connections in the run: more than one lets the grouper learn the varying positions. */
  connections: number;
  kind: ChannelKind;
  protocol: string | null;
  worker: boolean;
}

const endpointArb = (word: string): fc.Arbitrary<EndpointSpec> =>
  fc.record({
    host: fc.constantFrom(...HOSTS),
    words: fc.array(fc.constantFrom(...WORDS), { maxLength: 2 }).map((rest) => [word, ...rest]),
    transport: fc.constantFrom(...TRANSPORTS),
    method: fc.constantFrom('GET', 'POST'),
    volatile: fc.uniqueArray(fc.constantFrom(...(Object.keys(VOLATILE) as VolatileKind[])), { maxLength: 3 }),
    fixedQuery: fc.uniqueArray(fc.tuple(fc.constantFrom('topic', 'room', 'v', 'lang'), fc.constantFrom('a', 'news', 'en', '2')), { maxLength: 2, selector: ([k]) => k }),
    connections: fc.integer({ min: 1, max: 3 }),
    kind: fc.constantFrom(...KINDS),
    protocol: fc.constantFrom(null, 'json', 'socket.io', 'graphql-ws'),
    worker: fc.boolean().map((b) => b && Math.random() < 0.3),
  });

/** Distinct endpoints: each has a first path word of its own. */
const endpointsArb = (min: number, max: number) =>
  fc.shuffledSubarray(WORDS, { minLength: min, maxLength: max }).chain((words) => fc.tuple(...words.map(endpointArb)));

/** Fresh generated values for every volatile place of every connection of every endpoint. */
const valuesFor = (specs: readonly EndpointSpec[]) =>
  fc.tuple(...specs.map((s) => fc.tuple(...Array.from({ length: s.connections }, () => fc.tuple(...s.volatile.map((v) => VOLATILE[v].value))))));

function rawUrl(spec: EndpointSpec, values: readonly string[]): string {
  const segments = [...spec.words];
  const query: string[] = spec.fixedQuery.map(([k, v]) => `${k}=${v}`);
  spec.volatile.forEach((kind, i) => {
    const v = VOLATILE[kind];
    if (kind === 'sockjs') return;
    if (v.path) segments.push(values[i]!);
    else query.push(`${v.key}=${encodeURIComponent(values[i]!)}`);
  });
  // SockJS's server and session always come last, before the transport.
  const sockjs = spec.volatile.indexOf('sockjs');
  if (sockjs >= 0) segments.push(values[sockjs]!, spec.transport === 'websocket' ? 'websocket' : 'xhr_streaming');
  if (spec.volatile.includes('socketIoSid')) query.push('EIO=4', `transport=${spec.transport === 'websocket' ? 'websocket' : 'polling'}`);
  const scheme = spec.transport === 'websocket' ? spec.host.replace(/^http/, 'ws') : spec.host;
  return `${scheme}/${segments.join('/')}${query.length ? `?${query.join('&')}` : ''}`;
}

/** One run's channels, grouped by the real endpoint grouper from the run's URLs. */
function runChannels(specs: readonly EndpointSpec[], values: ReadonlyArray<ReadonlyArray<readonly string[]>>, kinds?: readonly ChannelKind[]): ChannelReport[] {
  const grouper = new EndpointGrouper();
  const urls = specs.map((spec, i) => values[i]!.map((v) => rawUrl(spec, v)));
  specs.forEach((spec, i) => {
    for (const url of urls[i]!) grouper.observe(spec.transport, url, spec.method);
  });
  return specs.map((spec, i) => {
    const sample = urls[i]![0]!;
    const origin = spec.worker ? { kind: 'dedicated' as const, url: `${spec.host}/worker.js` } : undefined;
    const prefix = origin ? `[dedicated worker ${origin.url}] ` : '';
    return channel({
      id: prefix + grouper.key(spec.transport, sample, spec.method),
      url: grouper.endpoint(spec.transport, sample, spec.method),
      sampleUrl: sample,
      transport: spec.transport,
      kind: kinds?.[i] ?? spec.kind,
      protocol: spec.protocol,
      ...(origin ? { origin } : {}),
    });
  });
}

describe('channel matching properties', () => {
  it('random token substitution keeps every channel paired with its own, in any order, whatever the kinds became', () => {
    fc.assert(
      fc.property(
        endpointsArb(1, 8).chain((specs) =>
          fc.record({
            specs: fc.constant(specs),
            before: valuesFor(specs),
            after: valuesFor(specs),
            order: fc.shuffledSubarray(specs.map((_, i) => i), { minLength: specs.length, maxLength: specs.length }),
            kinds: fc.tuple(...specs.map((s) => fc.oneof({ weight: 3, arbitrary: fc.constant(s.kind) }, { weight: 1, arbitrary: fc.constantFrom(...KINDS) }))),
          }),
        ),
        ({ specs, before, after, order, kinds }) => {
          const a = runChannels(specs, before);
          const bAll = runChannels(specs, after, kinds);
          const b = order.map((i) => bAll[i]!);
          const m = matchChannels(a, b);
          expect(m.onlyBefore).toEqual([]);
          expect(m.onlyAfter).toEqual([]);
          for (const p of m.pairs) {
            expect(order[p.after]).toBe(p.before);
            expect(p.score).toBeGreaterThanOrEqual(MIN_MATCH_SCORE);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a channel gone and a new one on other endpoints stay unpaired; the rest keep their partners', () => {
    fc.assert(
      fc.property(
        endpointsArb(3, 10).chain((specs) => fc.record({ specs: fc.constant(specs), before: valuesFor(specs), after: valuesFor(specs), gone: fc.nat({ max: specs.length - 2 }) })),
        ({ specs, before, after, gone }) => {
          // Endpoint `gone` exists only before, the last one only after.
          const last = specs.length - 1;
          const aIndex = specs.map((_, i) => i).filter((i) => i !== last);
          const bIndex = specs.map((_, i) => i).filter((i) => i !== gone);
          const aAll = runChannels(specs, before);
          const bAll = runChannels(specs, after);
          const m = matchChannels(
            aIndex.map((i) => aAll[i]!),
            bIndex.map((i) => bAll[i]!),
          );
          for (const p of m.pairs) expect(bIndex[p.after]).toBe(aIndex[p.before]);
          expect(m.onlyBefore.map((i) => aIndex[i])).toEqual([gone]);
          expect(m.onlyAfter.map((j) => bIndex[j])).toEqual([last]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('pairs each channel at most once, with scores in 0..1, on any two runs of unrelated endpoints', () => {
    fc.assert(
      fc.property(endpointsArb(0, 8), endpointsArb(0, 8), fc.nat(), (x, y, seed) => {
        const values = (specs: EndpointSpec[]) => specs.map((s, i) => Array.from({ length: s.connections }, (_, c) => s.volatile.map((v, k) => `${v}${seed}${i}${c}${k}x9`)));
        const a = runChannels(x, values(x));
        const b = runChannels(y, values(y));
        const m = matchChannels(a, b);
        expect(new Set(m.pairs.map((p) => p.before)).size).toBe(m.pairs.length);
        expect(new Set(m.pairs.map((p) => p.after)).size).toBe(m.pairs.length);
        expect(m.pairs.length + m.onlyBefore.length).toBe(a.length);
        expect(m.pairs.length + m.onlyAfter.length).toBe(b.length);
        for (const p of m.pairs) {
          expect(p.score).toBeLessThanOrEqual(1);
          // A pair shares its first path word: endpoints named apart never pair.
          expect(new URL(b[p.after]!.url).pathname.split('/')[1]).toBe(new URL(a[p.before]!.url).pathname.split('/')[1]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is stable: no two channels left apart would both score higher together than with their partners', () => {
    // Endpoints drawn from few words, hosts and transports: many look-alikes compete for each partner.
    const crowded = fc.array(endpointArb('live'), { minLength: 1, maxLength: 7 });
    fc.assert(
      fc.property(crowded.chain((x) => fc.tuple(fc.constant(x), valuesFor(x))), crowded.chain((y) => fc.tuple(fc.constant(y), valuesFor(y))), ([x, vx], [y, vy]) => {
        const a = runChannels(x, vx);
        const b = runChannels(y, vy);
        const m = matchChannels(a, b);
        const scoreOfBefore = new Map(m.pairs.map((p) => [p.before, p.score]));
        const scoreOfAfter = new Map(m.pairs.map((p) => [p.after, p.score]));
        expect(new Set(m.pairs.map((p) => p.after)).size).toBe(m.pairs.length);
        a.forEach((ca, i) => {
          b.forEach((cb, j) => {
            if (m.pairs.some((p) => p.before === i && p.after === j)) return;
            const s = channelSimilarity(ca, cb);
            if (s < MIN_MATCH_SCORE) return;
            const blocking = s > (scoreOfBefore.get(i) ?? 0) && s > (scoreOfAfter.get(j) ?? 0);
            expect(blocking, `${ca.id} / ${cb.id} (${s})`).toBe(false);
          });
        });
      }),
      { numRuns: 200 },
    );
  });
});
