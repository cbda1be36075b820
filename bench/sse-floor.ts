/**
 * What observing an EventSource costs a page at all, whatever a recorder does with what
 * it sees: the floor under the SSE figure of the page-overhead bench. One page receives
 * the same SSE flood (its handler reads `e.data`, as an app does) with, in turns:
 *   none          no observer;
 *   listener      a capturing `message` listener that returns at once (what any recorder
 *                 of a native EventSource must add: nothing else sees its events);
 *   data          that listener reading `e.data`;
 *   data+id       and `e.lastEventId`;
 *   data+time     `e.data` and the time (`performance.timeOrigin + performance.now()`);
 *   record        and a 12-value array per event queued, the queue dropped every 500;
 *   record+timer  the queue dropped by a zero-delay timer, as the hooks' emitter flushes;
 *   record+json   the queue serialised every 500 (the envelope's JSON, then the texts);
 *   wrap+json     what record+json does, inside a wrapper of the page's own handler instead
 *                 of a listener of its own;
 *   accessor+json what record+json does, inside a `handleEvent` getter: the page's handler is
 *                 registered as an object whose getter records the current event
 *                 (`window.event`) and returns the handler bound to the EventSource, so no
 *                 recorder frame is on the stack while the page's handler runs;
 *   getter+json   what record+json does, inside the MessageEvent `data` getter when the page's
 *                 handler reads it (a Proxy of the native getter), with no listener of its own.
 * Prints page main-thread CPU (ThreadTime) as a ratio to `none`, medians over the rounds.
 *
 * Chromium is driven over the raw DevTools pipe (bench/cdp.ts), nothing attached: with
 * playwright the Network domain's instrumentation doubled the page's own cost and so
 * halved every ratio (this bench's figures before 2026-12-07 were made that way).
 *
 *   node --import tsx bench/sse-floor.ts [--events 100000] [--rounds 5] [--only a,b] [--metric main] [--out samples.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from './cdp.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 100_000);
const ROUNDS = arg('rounds', 5);
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt > 0 ? process.argv[onlyAt + 1]!.split(',') : null;
/**
 * `--metric main`: the page renderer's main thread as the OS scheduler counts it
 * (/proc/<pid>/schedstat), with the Performance domain left off, to check that the domain's
 * own bookkeeping (it times every task and script callback) does not make the ratios.
 */
const MAIN_METRIC = process.argv.includes('--metric') && process.argv[process.argv.indexOf('--metric') + 1] === 'main';

let stream = '';
for (let i = 0; i < EVENTS; i++) stream += `id: ${i}\ndata: {"seq":${i},"price":${(100 + (i % 50)).toFixed(2)},"sym":"ABC"}\n\n`;
stream += 'event: done\ndata: x\n\n';

const RECORD = `const t = performance.timeOrigin + performance.now();
      q.push([2, 0, t, ++pseq, d.length, 0, 0, 0, null, '', null, d]);`;
/** Every 500 events: the envelope's JSON, then the texts (as encodePageEvents writes a batch). */
const SERIALISE = `if (q.length >= 500) {
        let texts = '';
        const heads = q.map((x) => { texts += x[11]; return x.slice(0, 11); });
        out = JSON.stringify({ v: 1, kind: 'events', n: q.length, events: heads }) + texts;
        q = [];
      }`;
const OBSERVERS: Record<string, string> = {
  none: '',
  listener: `es.addEventListener('message', (e) => { if (!e.isTrusted) return; }, { capture: true });`,
  data: `let last; es.addEventListener('message', (e) => { if (!e.isTrusted) return; last = e.data; }, { capture: true });`,
  'data+id': `let last, id; es.addEventListener('message', (e) => { if (!e.isTrusted) return; last = e.data; id = e.lastEventId; }, { capture: true });`,
  'data+time': `let last, t; es.addEventListener('message', (e) => { if (!e.isTrusted) return; last = e.data; t = performance.timeOrigin + performance.now(); }, { capture: true });`,
  record: `let q = [], pseq = 0; es.addEventListener('message', (e) => {
      if (!e.isTrusted) return; const d = e.data;
      ${RECORD}
      if (q.length >= 500) q = [];
    }, { capture: true });`,
  'record+timer': `let q = [], pseq = 0, timer = null; const flush = () => { timer = null; q = []; };
    es.addEventListener('message', (e) => {
      if (!e.isTrusted) return; const d = e.data;
      ${RECORD}
      if (q.length >= 500 && timer === null) timer = setTimeout(flush, 0);
    }, { capture: true });`,
  'record+json': `let q = [], pseq = 0, out; es.addEventListener('message', (e) => {
      if (!e.isTrusted) return; const d = e.data;
      ${RECORD}
      ${SERIALISE}
    }, { capture: true });`,
  'wrap+json': `let q = [], pseq = 0, out; wrap = (fn) => function (e) {
      if (e.isTrusted) {
        const d = e.data;
        ${RECORD}
        ${SERIALISE}
      }
      return fn.call(this, e);
    };`,
  'accessor+json': `let q = [], pseq = 0, out, last = null; const eventOf = Object.getOwnPropertyDescriptor(window, 'event').get;
    attach = (fn) => {
      const bound = fn.bind(es);
      es.addEventListener('message', { get handleEvent() {
        const e = eventOf.call(window);
        if (e !== last && e !== undefined && e.isTrusted) {
          last = e;
          const d = e.data;
          ${RECORD}
          ${SERIALISE}
        }
        return bound;
      } });
    };`,
  'getter+json': `let q = [], pseq = 0, out, last = null; const tracked = new WeakMap([[es, {}]]);
    const dataOf = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data');
    const targetOf = Object.getOwnPropertyDescriptor(Event.prototype, 'target').get;
    Object.defineProperty(MessageEvent.prototype, 'data', { ...dataOf, get: new Proxy(dataOf.get, { apply(get, self, args) {
      const d = Reflect.apply(get, self, args);
      if (self !== last) {
        last = self;
        if (tracked.get(Reflect.apply(targetOf, self, [])) !== undefined && self.isTrusted) {
          ${RECORD}
          ${SERIALISE}
        }
      }
      return d;
    } }) });`,
};

const server = http.createServer((req, res) => {
  if (req.url?.startsWith('/sse')) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.end(stream);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>sse floor</title>');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const browser = await launchChromium();
const samples: Record<string, number[]> = {};
const names = Object.keys(OBSERVERS).filter((n) => n === 'none' || !ONLY || ONLY.includes(n));
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order from round to round.
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      const page = await browser.newPage();
      await page.goto(origin);
      // The page bench's metric: ThreadTime, with the Performance domain enabled as there.
      if (!MAIN_METRIC) await page.send('Performance.enable');
      const threadTime = async () => {
        if (MAIN_METRIC) {
          const { processInfo } = await browser.cdp.send<{ processInfo: Array<{ id: number; type: string }> }>('SystemInfo.getProcessInfo');
          // The renderers' main threads (tid = pid), seconds on a CPU.
          return new Map(processInfo.filter((p) => p.type === 'renderer').map((p) => [p.id, Number(readFileSync(`/proc/${p.id}/schedstat`, 'utf8').split(' ')[0]) / 1e9]));
        }
        return (await page.send<{ metrics: Array<{ name: string; value: number }> }>('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')!.value;
      };
      const before = await threadTime();
      const seen = await page.evaluate(`new Promise((resolve) => {
        const es = new EventSource('/sse');
        let wrap = (fn) => fn;
        let attach = (fn) => { es.onmessage = fn; };
        ${OBSERVERS[name]}
        let n = 0;
        attach(wrap((e) => { n += e.data.length > 0 ? 1 : 0; }));
        es.addEventListener('done', () => { es.close(); resolve(n); });
      })`);
      if (seen !== EVENTS) throw new Error(`${name}: the page saw ${String(seen)} of ${EVENTS} events`);
      await new Promise((r) => setTimeout(r, 200));
      const after = await threadTime();
      if (after instanceof Map) {
        // The page's renderer: the one whose main thread ran most.
        let most = 0;
        for (const [pid, t] of after) most = Math.max(most, t - ((before as Map<number, number>).get(pid) ?? 0));
        (samples[name] ??= []).push(most);
      } else (samples[name] ??= []).push(after - (before as number));
      await page.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const base = median(samples.none!);
console.log(`SSE floor: ${EVENTS} events, ${ROUNDS} rounds, ${MAIN_METRIC ? 'page main-thread CPU by /proc schedstat (no Performance domain)' : 'page main-thread CPU (ThreadTime)'}, median (ratio to none; min–max of the per-round ratios)`);
for (const [name, v] of Object.entries(samples)) {
  const ratios = v.map((x, i) => x / samples.none![i]!);
  console.log(
    `  ${name.padEnd(13)} ${(median(v) * 1000).toFixed(0).padStart(6)} ms  ${(median(v) / base).toFixed(2)}×  (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
}
const outAt = process.argv.indexOf('--out');
if (outAt > 0) writeFileSync(process.argv[outAt + 1]!, `${JSON.stringify({ events: EVENTS, rounds: ROUNDS, metric: MAIN_METRIC ? 'schedstat' : 'ThreadTime', seconds: samples }, null, 1)}\n`);
