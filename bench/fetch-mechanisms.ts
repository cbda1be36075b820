/**
 * What each mechanism the fetch hook uses costs a page on its own, in a plain Chromium page
 * with no extension: n small fetches (a chunked JSON body, as the page-overhead bench's
 * /small), each parsed with `json()`, in variants that add one mechanism each. Page
 * main-thread CPU (ThreadTime), variants interleaved, rotated per round; ratios to `plain`.
 *
 *   [RI_VARIANTS=plain,clone,...] node --import tsx bench/fetch-mechanisms.ts [--n 2000] [--rounds 7] [--path /small]
 *
 * `--path /big` fetches 1 MiB JSON bodies of declared length instead (`plain` then parses each
 * with `json()`); the variants text, bytesOnly, bytesDecode, bytesDecodeLatin1,
 * bytesDecodeHash, bytesResponseText and textHashString read them whole in the ways the hook
 * could: what serving a page's `text()` from bytes decoded in script costs.
 *
 * Results and what they mean: BENCHMARKS.md, "What each of the fetch hook's mechanisms costs a page".
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { launchChromium } from './cdp.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '7' }, path: { type: 'string', default: '/small' } } });
const PATH = values.path!;
/** 1 MiB of JSON text with a declared length, as the page-overhead bench's /big. */
const BIG = Buffer.from(JSON.stringify({ items: Array.from({ length: 1 }, () => 'x'.repeat((1 << 20) - 16)) }).slice(0, 1 << 20));
const N = Number(values.n);
const ROUNDS = Number(values.rounds);

const PAGE = `<!doctype html><title>fetch mechanisms</title><script>
const base = document.baseURI;
const variants = {
  plain: (u) => fetch(u).then((r) => r.json()),
  url: (u) => { new URL(u, base).href; return fetch(u).then((r) => r.json()); },
  signal: (u) => fetch(u, { signal: new AbortController().signal }).then((r) => r.json()),
  signalNullProto: (u) => { const c = new AbortController(); return fetch(u, Object.create(null, { signal: { value: c.signal, enumerable: true } })).then((r) => r.json()); },
  controllerOnly: (u) => { new AbortController(); return fetch(u).then((r) => r.json()); },
  initNullProto: (u) => fetch(u, Object.create(null, { method: { value: 'GET', enumerable: true } })).then((r) => r.json()),
  signalNoController: (u) => fetch(u, { signal: AbortSignal.abort ? shared.signal : undefined }).then((r) => r.json()),
  headers: (u) => fetch(u).then((r) => { const l = []; r.headers.forEach((v, k) => l.push([k, v])); return r.json(); }),
  decoder: (u) => fetch(u).then((r) => { new TextDecoder(); return r.json(); }),
  clone: (u) => fetch(u).then((r) => { const c = r.clone(); const p = r.json(); p.then(() => c.arrayBuffer()); return p; }),
  ownBytes: (u) => fetch(u).then((r) => r.arrayBuffer()).then((b) => JSON.parse(new TextDecoder().decode(b))),
  finalization: (u) => fetch(u).then((r) => { registry.register(r, 1); return r.json(); }),
  weakmaps: (u) => fetch(u).then((r) => { wm1.set(r, {}); wm2.set(r, 1); return r.json(); }),
  // Whole-body reads (run them with --path /big): what the hook's text() path adds.
  text: (u) => fetch(u).then((r) => r.text()),
  bytesDecode: (u) => fetch(u).then((r) => r.arrayBuffer()).then((b) => utf8.decode(b)),
  bytesDecodeHash: (u) => fetch(u).then((r) => r.arrayBuffer()).then((b) => { hash(b); return utf8.decode(b); }),
  bytesResponseText: (u) => fetch(u).then((r) => r.arrayBuffer()).then((b) => new Response(b).text()),
  bytesDecodeLatin1: (u) => fetch(u).then((r) => r.arrayBuffer()).then((b) => latin1.decode(b)),
  bytesOnly: (u) => fetch(u).then((r) => r.arrayBuffer()),
  textHashString: (u) => fetch(u).then((r) => r.text()).then((t) => { hashText(t); return t; }),
  textHashDecodeAgain: (u) => fetch(u).then((r) => r.text()).then((t) => { hash(new TextEncoder().encode(t).buffer); return t; }),
};
const utf8 = new TextDecoder();
const latin1 = new TextDecoder('latin1');
// The same lanes over a one-byte string's char codes (what an ASCII body's bytes are).
const hashText = (t) => {
  let v1 = 1, v2 = 2, v3 = 3, v4 = 4;
  const lane = (v, w) => { v = (v + w) | 0; return Math.imul(v ^ (v >>> 15), 0x9e3779b1); };
  const word = (i) => t.charCodeAt(i) | (t.charCodeAt(i + 1) << 8) | (t.charCodeAt(i + 2) << 16) | (t.charCodeAt(i + 3) << 24);
  for (let i = 0; i + 15 < t.length; i += 16) { v1 = lane(v1, word(i)); v2 = lane(v2, word(i + 4)); v3 = lane(v3, word(i + 8)); v4 = lane(v4, word(i + 12)); }
  return v1 ^ v2 ^ v3 ^ v4;
};
// The body hash's inner loop (src/core/formats/body-hash.ts LaneHash32, aligned words).
const hash = (buffer) => {
  const words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  let v1 = 1, v2 = 2, v3 = 3, v4 = 4;
  const lane = (v, w) => { v = (v + w) | 0; return Math.imul(v ^ (v >>> 15), 0x9e3779b1); };
  for (let w = 0; w + 3 < words.length; w += 4) { v1 = lane(v1, words[w]); v2 = lane(v2, words[w + 1]); v3 = lane(v3, words[w + 2]); v4 = lane(v4, words[w + 3]); }
  return v1 ^ v2 ^ v3 ^ v4;
};
const registry = new FinalizationRegistry(() => {});
const shared = new AbortController();
const wm1 = new WeakMap(), wm2 = new WeakMap();
window.run = async (name, n, path = '/small') => {
  const f = variants[name];
  let next = 0;
  const worker = async () => { while (next < n) { const i = next++; await f(path + '?i=' + i); } };
  await Promise.all(Array.from({ length: 200 }, worker));
  return n;
};
</script>`;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/small') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ id: url.searchParams.get('i'), ok: true, items: [1, 2, 3], note: 'small json' }));
  } else if (url.pathname === '/big') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BIG.length, 'cache-control': 'no-store' });
    res.end(BIG);
  } else {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(PAGE);
  }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const browser = await launchChromium();
const names = (process.env.RI_VARIANTS ?? 'plain,url,signal,signalNullProto,headers,decoder,clone,ownBytes,finalization,weakmaps').split(',');
const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]!);
  for (const name of order) {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.send('Performance.enable');
    const metric = async () => ((await page.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.find((m) => m.name === 'ThreadTime')!.value;
    await page.evaluate(`run('plain', 100)`);
    const before = await metric();
    await page.evaluate(`run('${name}', ${N}, '${PATH}')`);
    cpu[name]!.push((await metric()) - before);
    await page.close();
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ratios = (name: string) => cpu[name]!.map((v, i) => v / cpu.plain![i]!);
console.log(`${N} fetches × ${ROUNDS} rounds; page main-thread CPU, ratio to plain (median, min-max), and µs per fetch over plain`);
for (const name of names) {
  const r = ratios(name);
  const us = ((median(cpu[name]!) - median(cpu.plain!)) / N) * 1e6;
  console.log(`${name.padEnd(16)} ${median(r).toFixed(2)} (${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})  ${us >= 0 ? '+' : ''}${us.toFixed(1)} µs   plain ${(median(cpu.plain!) * 1000).toFixed(0)} ms`);
}
await browser.close();
server.close();
