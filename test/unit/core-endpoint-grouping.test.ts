/**
 * Endpoint grouping learnt from one client's requests (channels.ts EndpointGrouper), not
 * from what a token looks like: a position whose values replace one another keeps one
 * client's reconnect history in one channel, whatever alphabet its tokens use; names a page
 * chooses (short, repeated, used side by side) still split.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Analyzer, analyzeCapture } from '../../src/core/index.ts';
import { EndpointGrouper, MIN_VARYING_CHARS } from '../../src/core/channels.ts';
import { CaptureBuilder, T0 } from './core-builders.ts';

/** Alphabets with no digit: what defeated the pattern-matching of digits. */
const ALPHABETS = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_', 'abcdef', 'ghijklmnopqrstuvwxyz'];

/** n distinct tokens of one length from one alphabet. */
const tokensArb = fc
  .record({ alphabet: fc.constantFrom(...ALPHABETS), length: fc.integer({ min: MIN_VARYING_CHARS, max: 40 }), n: fc.integer({ min: 2, max: 6 }) })
  .chain(({ alphabet, length, n }) =>
    fc.uniqueArray(fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength: length, maxLength: length }), { minLength: n, maxLength: n }),
  );

/** A WebSocket per token, one after another, each dropped by the server. */
function reconnectingSocket(urlOf: (token: string) => string, tokens: readonly string[]): CaptureBuilder {
  const b = new CaptureBuilder();
  tokens.forEach((token, i) => {
    const at = T0 + i * 10_000;
    const c = b.wsCreate(at, urlOf(token));
    b.wsOpen(at + 40, c);
    b.wsMsg(at + 100, c, 'in', '{"type":1,"target":"tick"}');
    b.wsClose(at + 5000, c, 1006, '', 'server');
  });
  return b;
}

describe('endpoint grouping learnt from one client', () => {
  it('one SignalR client reconnecting with tokens of any alphabet, digits or none, is one channel', () => {
    fc.assert(
      fc.property(tokensArb, (tokens) => {
        const report = analyzeCapture(reconnectingSocket((t) => `wss://app.example/hubs/chat?id=${t}`, tokens).sorted());
        expect(report.channels.map((c) => c.url)).toEqual(['wss://app.example/hubs/chat?id=:token']);
        expect(report.channels[0]!.connections).toBe(tokens.length);
        expect(report.channels[0]!.reconnects).toHaveLength(tokens.length - 1);
      }),
      { numRuns: 150 },
    );
  });

  it('a session id in the path, polled many times per session, is one channel', () => {
    fc.assert(
      fc.property(tokensArb, fc.integer({ min: 1, max: 5 }), (tokens, polls) => {
        const b = new CaptureBuilder();
        let at = T0;
        for (const token of tokens) {
          for (let i = 0; i < polls; i++) {
            b.http({ at, transport: 'xhr', url: `https://app.example/live/${token}/poll`, durationMs: 900, body: '[]' });
            at += 1000;
          }
        }
        const report = analyzeCapture(b.sorted());
        expect(report.channels.map((c) => c.url)).toEqual(['https://app.example/live/:token/poll']);
        expect(report.channels[0]!.requests).toBe(tokens.length * polls);
      }),
      { numRuns: 100 },
    );
  });

  it('names a page chooses keep their channels: few short values, or values used side by side', () => {
    const topicArb = fc.uniqueArray(fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split('')), minLength: 1, maxLength: MIN_VARYING_CHARS - 1 }), { minLength: 2, maxLength: 5 });
    fc.assert(
      fc.property(topicArb, fc.integer({ min: 1, max: 4 }), (topics, rounds) => {
        const b = new CaptureBuilder();
        let at = T0;
        // Short names, even each polled once in turn.
        for (let r = 0; r < rounds; r++) {
          for (const topic of topics) {
            b.http({ at, url: `https://api.example/feed?topic=${topic}`, durationMs: 50, body: '[]' });
            at += 200;
          }
        }
        const report = analyzeCapture(b.sorted());
        expect(report.channels).toHaveLength(topics.length);
      }),
      { numRuns: 100 },
    );
  });

  it('long names used side by side (interleaved) keep their channels, even of one length', () => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 4; i++) {
      b.http({ at: T0 + i * 1000, url: 'https://api.example/api/notifications', durationMs: 50, body: '[]' });
      b.http({ at: T0 + i * 1000 + 500, url: 'https://api.example/api/subscriptions', durationMs: 50, body: '[]' });
    }
    expect(analyzeCapture(b.sorted()).channels.map((c) => c.url).sort()).toEqual(['https://api.example/api/notifications', 'https://api.example/api/subscriptions']);
  });

  it('/api/users and /api/orders stay apart; so do two SignalR clients open side by side', () => {
    const b = new CaptureBuilder();
    for (let i = 0; i < 3; i++) {
      b.http({ at: T0 + i * 1000, url: 'https://api.example/api/users', durationMs: 50, body: '[]' });
      b.http({ at: T0 + i * 1000 + 100, url: 'https://api.example/api/orders', durationMs: 50, body: '[]' });
    }
    expect(analyzeCapture(b.sorted()).channels).toHaveLength(2);
    const g = new EndpointGrouper();
    // Two long-polling clients of one hub, their polls interleaved: two sessions at once, not one after another.
    for (let i = 0; i < 3; i++) {
      g.observe('xhr', 'https://app.example/hub?id=qwertyuiopasdfghjklzxc', 'GET');
      g.observe('xhr', 'https://app.example/hub?id=mnbvcxzlkjhgfdsapoiuyt', 'GET');
    }
    expect(g.key('xhr', 'https://app.example/hub?id=qwertyuiopasdfghjklzxc', 'GET')).not.toBe(g.key('xhr', 'https://app.example/hub?id=mnbvcxzlkjhgfdsapoiuyt', 'GET'));
  });

  it('a token seen once keeps its channel until a second replaces it; then they merge, fed at once or one by one', () => {
    fc.assert(
      fc.property(tokensArb, fc.integer({ min: 1, max: 4 }), (tokens, batch) => {
        const events = reconnectingSocket((t) => `wss://app.example/ws/${t}`, tokens).sorted();
        const incremental = new Analyzer();
        for (let i = 0; i < events.length; i += batch) {
          incremental.ingest(events.slice(i, i + batch));
          incremental.report();
        }
        const whole = analyzeCapture(events);
        const one = incremental.report();
        expect(one.channels.map((c) => [c.id, c.connections, c.reconnects.length])).toEqual(whole.channels.map((c) => [c.id, c.connections, c.reconnects.length]));
        expect(whole.channels).toHaveLength(1);
      }),
      { numRuns: 60 },
    );
  });

  it('a value that comes back undoes the judgement: the channels split again, fed at once or one by one', () => {
    const g = new EndpointGrouper();
    const url = (t: string) => `https://app.example/stream?id=${t}&room=lobby`;
    g.observe('eventsource', url('aaaaaaaaaaaa'), null);
    expect(g.key('eventsource', url('aaaaaaaaaaaa'), null)).toBe('eventsource https://app.example/stream?id=aaaaaaaaaaaa&room=lobby');
    g.observe('eventsource', url('bbbbbbbbbbbb'), null);
    expect(g.key('eventsource', url('aaaaaaaaaaaa'), null)).toBe('eventsource https://app.example/stream?id=:token&room=lobby');
    // Another query value (room) is another position: one value of it never folds.
    expect(g.key('eventsource', 'https://app.example/stream?id=cccccccccccc&room=general', null)).toBe('eventsource https://app.example/stream?id=:token&room=general');
    g.observe('eventsource', url('aaaaaaaaaaaa'), null);
    expect(g.key('eventsource', url('bbbbbbbbbbbb'), null)).not.toBe(g.key('eventsource', url('aaaaaaaaaaaa'), null));

    const b = new CaptureBuilder();
    for (const [i, t] of ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'aaaaaaaaaaaa', 'bbbbbbbbbbbb'].entries()) {
      const c = b.esCreate(T0 + i * 1000, url(t));
      b.esOpen(T0 + i * 1000 + 30, c);
      b.esMsg(T0 + i * 1000 + 60, c, `m${i}`);
    }
    const events = b.sorted();
    const incremental = new Analyzer();
    for (const e of events) {
      incremental.ingest([e]);
      incremental.report();
    }
    const whole = analyzeCapture(events);
    expect(whole.channels.map((c) => [c.url, c.connections])).toEqual([
      ['https://app.example/stream?id=aaaaaaaaaaaa&room=lobby', 2],
      ['https://app.example/stream?id=bbbbbbbbbbbb&room=lobby', 2],
    ]);
    expect(incremental.report().channels.map((c) => [c.url, c.connections, c.messages.in])).toEqual(whole.channels.map((c) => [c.url, c.connections, c.messages.in]));
  });
});
