/**
 * Waste on the shapes real polled APIs answer with: a version, a cursor or a status
 * that changed is news; a clock that moved (`ts`, `serverTime`, `meta.generatedAt`)
 * is not, and which scalars are clocks is read from how they move, not from their names.
 */
import { describe, expect, it } from 'vitest';
import { CaptureBuilder, T0 } from './core-builders.ts';
import { everyPoll, judge, judgeEvents, type Poll } from './core-waste-polls.ts';
import { ClockFinder, clockPaths, readInstant } from '../../src/core/metrics/json-clocks.ts';
import { analyzeCapture } from '../../src/core/index.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const json = (v: unknown) => JSON.stringify(v);
const items = [{ id: 7, name: 'build #7', state: 'green' }];

describe('waste: scalars that changed are news', () => {
  it('counts a version bumped in an otherwise empty answer as news (the issue: {"version":1,"items":[]} after {"version":0,"items":[]})', () => {
    const versions = [0, 0, 0, 1, 1, 2];
    const r = judge(everyPoll(versions.length, 5000, (i) => json({ version: versions[i], items: [] })));
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', 'empty-collection', null, 'empty-collection', null]);
    expect(r.clocks).toEqual([]);
  });

  it('counts a version bumped on every poll as news every time, never as a clock', () => {
    const r = judge(everyPoll(8, 1000, (i) => json({ version: 100 + i, items: [] })));
    expect(r.reasons).toEqual(['empty-collection', null, null, null, null, null, null, null]);
    expect(r.clocks).toEqual([]);
  });

  it('reads a Kubernetes list: metadata.resourceVersion moved with no items is news', () => {
    // https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions: a list carries metadata.resourceVersion.
    const rv = ['4711', '4711', '4730', '4730'];
    const r = judge(everyPoll(rv.length, 3000, (i) => json({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: rv[i] }, items: [] })));
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', null, 'empty-collection']);
  });

  it('counts a status that flipped as news, and the same status again as waste', () => {
    const states = ['queued', 'queued', 'running', 'running', 'running', 'succeeded'];
    const r = judge(everyPoll(states.length, 2000, (i) => json({ id: 'job_81', status: states[i], progress: states[i] === 'succeeded' ? 100 : 0, logs: [] })));
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', null, 'empty-collection', 'empty-collection', null]);
  });

  it('counts a flipped boolean, a value that became null and a scalar that vanished as news; a list that emptied or was left out is not', () => {
    const bodies = [
      { ok: true, error: null, items: [{ id: 1 }] },
      { ok: false, error: null, items: [{ id: 1 }] }, // flag flipped
      { ok: false, error: 'rate_limited', items: [{ id: 1 }] }, // null became a value
      { ok: false, items: [{ id: 1 }] }, // error vanished
      { ok: false }, // items left out: nothing new
      { ok: false, items: [] },
    ];
    const r = judge(everyPoll(bodies.length, 2000, (i) => json(bodies[i])));
    expect(r.reasons).toEqual([null, null, null, null, 'unchanged', 'empty-collection']);
  });

  it('a status-only object (no collection at all) is state: the first answer is news, the same one again is waste', () => {
    const r = judge(everyPoll(4, 2000, () => json({ state: 'pending' })));
    expect(r.reasons).toEqual([null, 'unchanged', 'unchanged', 'unchanged']);
  });
});

describe('waste: cursors and list envelopes', () => {
  it('Slack-style: an empty page with the same next_cursor is waste; a new cursor or new messages is news', () => {
    // https://api.slack.com/methods/conversations.history: messages, has_more, pin_count, response_metadata.next_cursor.
    const page = (messages: unknown[], cursor: string, hasMore = false) => json({ ok: true, messages, has_more: hasMore, pin_count: 0, response_metadata: { next_cursor: cursor } });
    const message = { type: 'message', user: 'U061F7AUR', text: 'deploy done', ts: '1795521603.000200' };
    const bodies = [page([], ''), page([], ''), page([message], 'bmV4dF90czoxNzk1NTIxNjAz', true), page([], 'bmV4dF90czoxNzk1NTIxNjAz'), page([], 'bmV4dF90czoxNzk1NTIxNjA0'), page([], 'bmV4dF90czoxNzk1NTIxNjA0')];
    const r = judge(everyPoll(bodies.length, 3000, (i) => bodies[i]!));
    // has_more flipped back to false on the fourth answer: news.
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', null, null, null, 'empty-collection']);
  });

  it('Dropbox-style: a cursor that advanced with no entries is news', () => {
    // https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue: entries, cursor, has_more.
    const cursors = ['AAGq1', 'AAGq1', 'AAHr2', 'AAHr2'];
    const r = judge(everyPoll(cursors.length, 5000, (i) => json({ entries: [], cursor: cursors[i], has_more: false })));
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', null, 'empty-collection']);
  });

  it('Stripe-style list: empty pages are waste, a new event is news, the same page again is waste, has_more flipping is news', () => {
    // https://docs.stripe.com/api/pagination: object "list", url, has_more, data.
    const event = { id: 'evt_1Q', object: 'event', created: 1795521604, type: 'invoice.paid', data: { object: { id: 'in_1Q', amount_paid: 2000 } } };
    const list = (data: unknown[], hasMore: boolean) => json({ object: 'list', url: '/v1/events', has_more: hasMore, data });
    const bodies = [list([], false), list([], false), list([event], false), list([event], false), list([event], true)];
    const r = judge(everyPoll(bodies.length, 5000, (i) => bodies[i]!));
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', null, 'unchanged', null]);
  });

  it('a long-poll feed ({cursor, events}): a held answer with no events and the same cursor is waste', () => {
    const polls: Poll[] = [
      { at: T0, ttfbMs: 1800, body: json({ cursor: 1, events: [{ id: 1, value: 412 }] }) },
      { at: T0 + 1850, ttfbMs: 25_000, body: json({ cursor: 1, events: [] }) },
      { at: T0 + 26_900, ttfbMs: 3200, body: json({ cursor: 2, events: [{ id: 2, value: 7 }] }) },
      { at: T0 + 30_150, ttfbMs: 25_000, body: json({ cursor: 2, events: [] }) },
    ];
    const r = judge(polls, 'https://api.example.test/longpoll');
    expect(r.kind).toBe('long-polling');
    expect(r.reasons).toEqual([null, 'empty-collection', null, 'empty-collection']);
  });

  it('Telegram-style getUpdates long poll: {"ok":true,"result":[]} is waste', () => {
    // https://core.telegram.org/bots/api#getupdates: an Array of Update objects in `result`.
    const polls: Poll[] = [0, 1, 2, 3].map((i) => ({ at: T0 + i * 30_050, ttfbMs: 30_000, body: json({ ok: true, result: [] }) }));
    const r = judge(polls, 'https://api.telegram.org/bot123:abc/getUpdates');
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', 'empty-collection', 'empty-collection']);
  });
});

describe('waste: clocks are not news', () => {
  it.each([
    ['epoch ms `ts`', (now: number) => ({ items, ts: now })],
    ['epoch s `serverTime`', (now: number) => ({ items, serverTime: Math.floor(now / 1000) })],
    ['epoch s with a fraction (time.time())', (now: number) => ({ items, time: now / 1000 })],
    ['epoch µs', (now: number) => ({ items, ts_us: now * 1000 + 123 })],
    ['epoch ns as a string', (now: number) => ({ items, ts_ns: `${now}000000` })],
    ['epoch s as a string', (now: number) => ({ items, server_ts: String(Math.floor(now / 1000)) })],
    ['ISO 8601 with ms (toISOString) in `meta.generatedAt`', (now: number) => ({ data: items, meta: { generatedAt: iso(now) } })],
    ['ISO 8601 with an offset and no fraction', (now: number) => ({ items, updated: `${new Date(now + 3_600_000).toISOString().slice(0, 19)}+01:00` })],
    ['ISO 8601 with microseconds (Python isoformat)', (now: number) => ({ items, server_time: `${iso(now).slice(0, 23)}456+00:00` })],
    ['an HTTP-date', (now: number) => ({ items, date: new Date(now).toUTCString() })],
    ['two clocks at once, one in an array element', (now: number) => ({ items: [{ ...items[0], seenAt: now }], meta: { generatedAt: iso(now), requestTime: now / 1000 } })],
  ])('ignores a clock that moves on every poll: %s', (_name, body) => {
    const r = judge(everyPoll(6, 2000, (_i, now) => json(body(now))));
    expect(r.reasons).toEqual([null, 'clocks-only', 'clocks-only', 'clocks-only', 'clocks-only', 'clocks-only']);
    expect(r.clocks.length).toBeGreaterThan(0);
  });

  it('names the clocks it found, in the polling-waste-high evidence too', () => {
    const polls = everyPoll(5, 2000, (_i, now) => json({ items: [{ id: 1, seenAt: now }], meta: { generatedAt: iso(now) }, ts: now }));
    const r = judge(polls);
    expect(r.clocks.sort()).toEqual(['items[0].seenAt', 'meta.generatedAt', 'ts']);
    const b = new CaptureBuilder();
    for (const p of polls) b.http({ at: p.at, url: 'https://api.example.test/v1/updates', body: p.body });
    const finding = analyzeCapture(b.events).channels[0]!.findings.find((f) => f.code === 'polling-waste-high');
    expect(finding?.evidence).toMatchObject({ wasted: 4, judged: 5, clocks: 'items[0].seenAt, meta.generatedAt, ts' });
  });

  it('an empty answer whose clock moved is still an empty answer', () => {
    const r = judge(everyPoll(5, 2000, (_i, now) => json({ updates: [], serverTime: now })));
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', 'empty-collection', 'empty-collection', 'empty-collection']);
    expect(r.clocks).toEqual(['serverTime']);
  });

  it('counts a real change beside a moving clock as news', () => {
    const versions = [3, 3, 4, 4, 4];
    const r = judge(everyPoll(versions.length, 2000, (i, now) => json({ version: versions[i], items: [], ts: now })));
    expect(r.reasons).toEqual(['empty-collection', 'empty-collection', null, 'empty-collection', 'empty-collection']);
    const added = judge(everyPoll(5, 2000, (i, now) => json({ items: i >= 3 ? [{ id: 1 }, { id: 2 }] : [{ id: 1 }], meta: { generatedAt: iso(now) } })));
    expect(added.reasons).toEqual([null, 'clocks-only', 'clocks-only', null, 'clocks-only']);
    expect(added.clocks).toEqual(['meta.generatedAt']);
  });

  it('follows a clock on a loaded machine: polls late or early, latency from 20 ms to 900 ms', () => {
    const gaps = [2000, 2500, 1500, 2000, 3900, 2050, 1950, 2100];
    const latencies = [20, 900, 35, 400, 60, 25, 700, 30, 480];
    let at = T0;
    const polls: Poll[] = latencies.map((ttfbMs, i) => {
      if (i > 0) at += gaps[i - 1]!;
      return { at, ttfbMs, body: json({ items, ts: at + ttfbMs - 3 }) };
    });
    const r = judge(polls);
    expect(r.clocks).toEqual(['ts']);
    expect(r.reasons.slice(1).every((x) => x === 'clocks-only')).toBe(true);
  });

  it('follows a long-poll clock stamped when the request arrived, however long each answer was held', () => {
    const holds = [25_000, 1_200, 9_000, 25_000, 400, 14_000];
    let at = T0;
    const polls: Poll[] = holds.map((hold) => {
      const p = { at, ttfbMs: hold, body: json({ events: [], cursor: 9, receivedAt: at + 4 }) };
      at += hold + 60;
      return p;
    });
    const r = judge(polls, 'https://api.example.test/longpoll');
    expect(r.kind).toBe('long-polling');
    expect(r.clocks).toEqual(['receivedAt']);
    expect(r.reasons.every((x) => x === 'empty-collection')).toBe(true);
  });
});

describe('waste: scalars that look like time but are not clocks are news', () => {
  it('an updatedAt that moves only when the resource changes', () => {
    const stamps = [T0 - 86_400_000, T0 - 86_400_000, T0 + 4_031, T0 + 4_031, T0 + 8_012, T0 + 8_012];
    const r = judge(everyPoll(stamps.length, 2000, (i) => json({ id: 'doc_1', title: 'Q3 plan', updatedAt: iso(stamps[i]!) })));
    expect(r.reasons).toEqual([null, 'unchanged', null, 'unchanged', null, 'unchanged']);
    expect(r.clocks).toEqual([]);
  });

  it('a cached generatedAt that moves every 30 s under polls every 5 s (a CDN with max-age=30)', () => {
    const r = judge(everyPoll(13, 5000, (i) => json({ items, generatedAt: iso(T0 + Math.floor(i / 6) * 30_000) })));
    expect(r.clocks).toEqual([]);
    expect(r.reasons.map((x, i) => (x === null ? i : -1)).filter((i) => i >= 0)).toEqual([0, 6, 12]);
  });

  it('a timestamp that stood still over some polls (the same bytes again) before moving on every poll', () => {
    const r = judge(everyPoll(8, 2000, (i, now) => json({ items, ts: i < 3 ? T0 + 20 : now })));
    expect(r.clocks).toEqual([]);
    expect(r.reasons).toEqual([null, 'unchanged', 'unchanged', null, null, null, null, null]);
  });

  it('an uptime or tick counter that steps once a second (relative clocks are not recognised)', () => {
    const r = judge(everyPoll(6, 1000, (i) => json({ items, uptime: 86_400 + i })));
    expect(r.clocks).toEqual([]);
    expect(r.reasons.slice(1)).toEqual([null, null, null, null, null]);
  });

  it('Twitter-style snowflake ids that grow with time (in the range of epoch ns, but four times too fast)', () => {
    // Snowflake: (ms since 2010-11-04) << 22 | worker | sequence; https://github.com/twitter-archive/snowflake.
    const snowflake = (ms: number) => ((BigInt(ms - 1288834974657) << 22n) + 4096n).toString();
    const r = judge(everyPoll(6, 2000, (_i, now) => json({ data: [{ id: snowflake(now), text: 'hi' }], meta: { newest_id: snowflake(now) } })));
    expect(readInstant(snowflake(T0))).not.toBeNull();
    expect(r.clocks).toEqual([]);
    expect(r.reasons.slice(1)).toEqual([null, null, null, null, null]);
  });

  it('a timestamp seen on only two polls is too little to call a clock', () => {
    const r = judge([...everyPoll(2, 2000, (_i, now) => json({ items, ts: now })), ...everyPoll(4, 2000, () => json({ items })).map((p) => ({ ...p, at: p.at + 4000 }))]);
    expect(r.clocks).toEqual([]);
    expect(r.reasons.slice(0, 3)).toEqual([null, null, null]);
  });
});

describe('waste: bodies that are not JSON or not whole', () => {
  it('compares text bodies by their hash', () => {
    const bodies = ['2', '2', '6', 'ok 1795521600', 'ok 1795521600', 'ok 1795521602'];
    const r = judge(everyPoll(bodies.length, 2000, (i) => bodies[i]!));
    expect(r.reasons).toEqual([null, 'unchanged', null, null, 'unchanged', null]);
  });

  it('keeps the last body across 204s, 304s and empty bodies', () => {
    const polls: Poll[] = [
      { at: T0, body: json({ items: [{ id: 1 }] }) },
      { at: T0 + 2000, status: 304, body: '' },
      { at: T0 + 4000, status: 204, body: '' },
      { at: T0 + 6000, body: '' },
      { at: T0 + 8000, body: json({ items: [{ id: 1 }] }) },
      { at: T0 + 10_000, body: json({ items: [{ id: 2 }] }) },
    ];
    expect(judge(polls).reasons).toEqual([null, 'status-304', 'status-204', 'empty-body', 'unchanged', null]);
  });

  it('does not parse a JSON body cut at the capture cap: compared by hash, so its clock cannot be read', () => {
    const polls = everyPoll(4, 2000, (_i, now) => json({ items, ts: now }));
    expect(judge(polls).clocks).toEqual(['ts']);
    // The same polls with bodies the hooks kept only the first bytes of (textPayload at maxTextChars): the hash covers every byte.
    const b = new CaptureBuilder();
    for (const p of polls) b.http({ at: p.at, url: 'https://api.example.test/v1/updates', body: p.body, ttfbMs: 30, durationMs: 40 });
    const cut = b.events.map((e) => (e.type === 'http.end' && e.body ? { ...e, body: { ...e.body, data: e.body.data.slice(0, 16), truncated: true } } : e));
    const r = judgeEvents(cut);
    expect(r.clocks).toEqual([]);
    expect(r.reasons).toEqual([null, null, null, null]);
  });
});

/** The clock paths ClockFinder finds in bodies polled at the given times. */
function clocksIn(samples: Array<{ value: unknown; start: number; response: number }>): string[] {
  const finder = new ClockFinder();
  for (const s of samples) finder.add(s.value, s.start, s.response);
  return clockPaths(finder.finish());
}

describe('readInstant and ClockFinder', () => {
  it('reads epoch numbers in s, ms, µs and ns, date-time strings and HTTP-dates as instants', () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 5, 123);
    expect(readInstant(at)).toMatchObject({ ms: at, resolutionMs: 1 });
    expect(readInstant(Math.floor(at / 1000))).toMatchObject({ ms: at - 123, resolutionMs: 1000 });
    expect(readInstant(at / 1000)!.ms).toBeCloseTo(at, 3);
    expect(readInstant(at * 1000)!.ms).toBe(at);
    expect(readInstant(`${at}000000`)!.ms).toBe(at);
    expect(readInstant('2026-11-24T12:00:05.123Z')).toMatchObject({ ms: at, resolutionMs: 1 });
    expect(readInstant('2026-11-24T13:00:05+01:00')).toMatchObject({ ms: at - 123, resolutionMs: 1000 });
    expect(readInstant('2026-11-24 12:00:05.1')).toMatchObject({ ms: at - 23, resolutionMs: 100 });
    expect(readInstant('Tue, 24 Nov 2026 12:00:05 GMT')).toMatchObject({ ms: at - 123, resolutionMs: 1000 });
  });

  it('reads no instant in counters, ids, versions, dates without a time, or times before 2000', () => {
    for (const v of [0, 1, 42, 4711, 86_400, -1795521605, 123456789, 1.5, '1.2.3', '2026-11-24', '12:00:05', 'abc', 'v1795521605', '0001-01-01T00:00:00Z', '1999-12-31T23:59:59Z', true, null, 946684799])
      expect(readInstant(v), String(v)).toBeNull();
  });

  it('needs the same form on every poll: seconds that turn into milliseconds are not one clock', () => {
    const samples = [0, 1, 2, 3].map((i) => {
      const now = T0 + i * 2000;
      return { value: { ts: i < 2 ? Math.floor(now / 1000) : now }, start: now, response: now + 30 };
    });
    expect(clocksIn(samples)).toEqual([]);
  });

  it('keeps object keys and array indices apart', () => {
    const samples = [0, 1, 2, 3].map((i) => {
      const now = T0 + i * 2000;
      return { value: { a: [now], b: { '0': 'x' } }, start: now, response: now + 30 };
    });
    expect(clocksIn(samples)).toEqual(['a[0]']);
  });
});
