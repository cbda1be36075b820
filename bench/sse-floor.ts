/**
 * What observing an EventSource costs a page at all, whatever a recorder does with what
 * it sees: the floor under the SSE figure of the page-overhead bench. One page receives
 * the same SSE flood (its handler reads `e.data`, as an app does) with, in turns:
 *   none          no observer;
 *   listener      a capturing `message` listener that returns at once (what any recorder
 *                 of a native EventSource must add: nothing else sees its events);
 *   read          that listener reading `e.data` and `e.lastEventId`;
 *   read+record   and building a record per event, serialised 500 at a time (no posting).
 * Prints page main-thread CPU (ThreadTime) as a ratio to `none`, medians over the rounds.
 *
 *   node --import tsx bench/sse-floor.ts [--events 50000] [--rounds 5]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 50_000);
const ROUNDS = arg('rounds', 5);

let stream = '';
for (let i = 0; i < EVENTS; i++) stream += `id: ${i}\ndata: {"seq":${i},"price":${(100 + (i % 50)).toFixed(2)},"sym":"ABC"}\n\n`;
stream += 'event: done\ndata: x\n\n';

const OBSERVERS: Record<string, string> = {
  none: '',
  listener: `es.addEventListener('message', (e) => { if (!e.isTrusted) return; }, { capture: true });`,
  read: `es.addEventListener('message', (e) => { if (!e.isTrusted) return; window.__d = e.data; window.__i = e.lastEventId; }, { capture: true });`,
  'read+record': `const q = []; es.addEventListener('message', (e) => {
      if (!e.isTrusted) return;
      const data = e.data, id = e.lastEventId;
      q.push({ type: 'sse.message', conn: 'abc:1', event: 'message', data: { size: data.length, encoding: 'text', data, truncated: false }, id, lastEventId: id, retry: null, t: performance.timeOrigin + performance.now(), pseq: q.length });
      if (q.length >= 500) { window.__s = JSON.stringify(q.map((x) => [2, 0, 0, x.pseq, x.data.size, 0, 0, x.event, x.id, x.lastEventId, x.retry])) + q.map((x) => x.data.data).join(''); q.length = 0; }
    }, { capture: true });`,
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
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const samples: Record<string, number[]> = {};
try {
  for (let round = 0; round < ROUNDS; round++) {
    const names = Object.keys(OBSERVERS);
    // Rotate the order from round to round.
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      const page = await browser.newPage();
      await page.goto(origin);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
      const threadTime = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')!.value;
      const before = await threadTime();
      const seen = await page.evaluate(`new Promise((resolve) => {
        const es = new EventSource('/sse');
        ${OBSERVERS[name]}
        let n = 0;
        es.onmessage = (e) => { n += e.data.length > 0 ? 1 : 0; };
        es.addEventListener('done', () => { es.close(); resolve(n); });
      })`);
      if (seen !== EVENTS) throw new Error(`${name}: the page saw ${String(seen)} of ${EVENTS} events`);
      (samples[name] ??= []).push((await threadTime()) - before);
      await page.close();
    }
  }
} finally {
  await browser.close();
  server.close();
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const base = median(samples.none!);
console.log(`SSE floor: ${EVENTS} events, ${ROUNDS} rounds, page main-thread CPU, median (ratio to none)`);
for (const [name, v] of Object.entries(samples)) console.log(`  ${name.padEnd(12)} ${(median(v) * 1000).toFixed(0).padStart(6)} ms  ${(median(v) / base).toFixed(2)}×`);
