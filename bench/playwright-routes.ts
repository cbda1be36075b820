/**
 * The two routes `realtime-inspector/playwright` could record by, measured side by side
 * (README "Playwright", BENCHMARKS.md "Playwright routes"):
 *   extension    the built extension loaded in a persistent context (what `audit` does)
 *   init-script  the same page hooks injected with addInitScript, relayed through exposeBinding
 *                (src/playwright/recorder.ts: what the library does)
 *
 *   node --import tsx bench/playwright-routes.ts [--rounds 3] [--scale 0.1] [--seconds 15] [--only overhead|fidelity]
 *   RI_DIST=<dir> for the extension build (default dist/); lib/playwright/ must be built (`npm run build`).
 *
 * Overhead: bench/page-overhead.ts's workloads (its server and page), each route against a
 * browser with no instrumentation, in interleaved rounds whose order rotates; the page
 * main-thread CPU time (Performance.getMetrics ThreadTime) as a ratio to the baseline
 * of the same round, measured until the route had every event (or its count stopped moving).
 * Fidelity: lab pages (and a page of frames: two lab pages in iframes, one cross-site, and a
 * dedicated Worker polling) recorded by both routes at the same time for the same time; the
 * channels (endpoint, kind, protocol), heartbeats, backoff models and finding codes compared.
 */
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyzeCapture } from '../src/core/index.ts';
import type { ChannelReport, Report } from '../src/core/report-types.ts';
import { BASE_ARGS, findChrome, IGNORED_DEFAULT_ARGS, launchInspector, type InspectorSession } from '../src/cli/browser.ts';
import { attach } from '../src/playwright/recorder.ts';
import { startLab } from '../lab/server.ts';
import { workloads } from './page-overhead.ts';
import { startBenchServer, type BenchServer } from './server.ts';
import { fmt, round, summarize, table } from './stats.ts';

type Route = 'baseline' | 'extension' | 'init-script';
const ROUTES: Route[] = ['baseline', 'extension', 'init-script'];

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    scale: { type: 'string', default: '0.1' },
    seconds: { type: 'string', default: '15' },
    only: { type: 'string' },
    out: { type: 'string', default: 'bench/results-playwright.json' },
  },
});
const ROUNDS = Number(values.rounds);
const SCALE = Number(values.scale);
const SECONDS = Number(values.seconds);
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Longest a workload may run, and longest a route may take to hand over its events. */
const CAP_MS = 120_000;
const DRAIN_MS = 60_000;

interface Browsers {
  plain: Browser;
  extension: InspectorSession;
}

async function threadTimeMs(cdp: CDPSession): Promise<number> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  return (metrics.find((m) => m.name === 'ThreadTime')?.value ?? NaN) * 1000;
}

/** Wait until `count()` reaches `want` or stops moving for 2 s. */
async function drained(count: () => Promise<number>, want: number): Promise<number> {
  const deadline = Date.now() + DRAIN_MS;
  let last = -1;
  let since = Date.now();
  for (;;) {
    const n = await count();
    if (n >= want) return n;
    if (n !== last) (last = n), (since = Date.now());
    if (Date.now() - since > 2000 || Date.now() > deadline) return n;
    await sleep(100);
  }
}

/** One run of one workload on one route, in a fresh page: the page's main-thread CPU ms and what the route recorded. */
async function runOnce(b: Browsers, route: Route, w: ReturnType<typeof workloads>[number], server: BenchServer): Promise<{ threadMs: number; events: number }> {
  let page: Page;
  let count: () => Promise<number> = async () => 0;
  if (route === 'extension') {
    const tab = await b.extension.newTab();
    page = tab.page;
    count = () => b.extension.eventCount(tab.tabId);
  } else {
    page = await b.plain.newPage();
    if (route === 'init-script') {
      const rt = await attach(page);
      count = async () => rt.events().length;
    }
  }
  try {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(`${server.origin}/bench.html?route=${route}&w=${w.id}&r=${Math.random().toString(36).slice(2)}`);
    const before = await threadTimeMs(cdp);
    const result = (await Promise.race([page.evaluate(w.expression(server)), sleep(CAP_MS).then(() => null)])) as { count: number } | null;
    if (!result || result.count !== w.expectedCount) throw new Error(`page saw ${result?.count ?? 'nothing before the cap'} of ${w.expectedCount}`);
    const events = route === 'baseline' ? 0 : await drained(count, w.expectedCount);
    await sleep(500);
    const after = await threadTimeMs(cdp);
    await cdp.detach().catch(() => {});
    return { threadMs: after - before, events };
  } finally {
    await page.close();
  }
}

async function overhead(b: Browsers): Promise<{ rows: string[][]; json: unknown[] }> {
  const server = await startBenchServer();
  const list = workloads(SCALE);
  const samples = new Map<string, Array<{ threadMs: number; events: number } | undefined>>();
  try {
    for (const r of ROUTES) await runOnce(b, r, workloads(0.01)[0]!, server).catch(() => {});
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of list) {
        const order = ROUTES.map((_, i) => ROUTES[(i + round) % ROUTES.length]!);
        for (const r of order) {
          const key = `${w.id}/${r}`;
          if (!samples.has(key)) samples.set(key, []);
          try {
            const s = await runOnce(b, r, w, server);
            samples.get(key)![round] = s;
            log(`  round ${round + 1}/${ROUNDS} ${w.id.padEnd(12)} ${r.padEnd(11)} main thread ${fmt(s.threadMs)} ms CPU${r === 'baseline' ? '' : `, ${s.events} events`}`);
          } catch (e) {
            log(`  round ${round + 1}/${ROUNDS} ${w.id.padEnd(12)} ${r.padEnd(11)} FAILED: ${(e as Error).message.split('\n')[0]}`);
          }
        }
      }
    }
  } finally {
    await server.close();
  }
  const json: unknown[] = [];
  const rows = list.map((w) => {
    const base = samples.get(`${w.id}/baseline`) ?? [];
    const cells = ROUTES.filter((r) => r !== 'baseline').map((r) => {
      const runs = samples.get(`${w.id}/${r}`) ?? [];
      const ratios = runs.flatMap((s, i) => (s && base[i] ? [s.threadMs / base[i]!.threadMs] : []));
      const ratio = summarize(ratios);
      const events = summarize(runs.flatMap((s) => (s ? [s.events] : [])));
      json.push({ workload: w.id, route: r, threadRatio: ratio, events });
      return ratio.n ? `${round(ratio.median).toFixed(2)} (${round(ratio.min).toFixed(2)}–${round(ratio.max).toFixed(2)}), ${fmt(events.median)} ev` : 'failed';
    });
    return [w.label, fmt(summarize(base.flatMap((s) => (s ? [s.threadMs] : []))).median), ...cells];
  });
  return { rows, json };
}

/** A channel as the comparison sees it: endpoint without port and per-client ids, kind, protocol. */
function channelKey(c: ChannelReport): string {
  const url = c.url.replace(/:\d+\//, ':<port>/').replace(/client=[^&]+/, 'client=*');
  return `${c.kind} ${c.protocol ?? '-'} ${url}${c.origin ? ` [${c.origin.kind}]` : ''}`;
}

function summary(report: Report): { channels: string[]; heartbeats: string[]; backoff: string[]; findings: string[] } {
  const real = report.channels.filter((c) => c.kind !== 'one-off');
  return {
    channels: real.map(channelKey).sort(),
    heartbeats: real.filter((c) => c.heartbeat?.intervalMs).map((c) => channelKey(c)).sort(),
    backoff: real.filter((c) => c.backoff && c.backoff.confidence !== 'low').map((c) => `${channelKey(c)}: ${c.backoff!.model}`).sort(),
    findings: [...new Set(real.flatMap((c) => c.findings.map((f) => f.code)))].sort(),
  };
}

const FRAMES_HTML = (lab: string, crossSite: string) => `<!doctype html><title>frames</title>
<iframe src="${lab}/pages/websocket.html?mode=ws-heartbeat&scale=0.2"></iframe>
<iframe src="${crossSite}/pages/sse.html?mode=sse-resume&scale=0.2"></iframe>
<script>
  const worker = new Worker(URL.createObjectURL(new Blob([
    "setInterval(() => fetch(${JSON.stringify(lab)} + '/api/poll?client=worker&every=500').catch(() => {}), 500);",
  ], { type: 'text/javascript' })));
</script>`;

async function fidelity(b: Browsers): Promise<{ rows: string[][]; json: unknown[] }> {
  const lab = await startLab({ port: 0, scale: 0.2 });
  const port = new URL(lab.url).port;
  const framesServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(FRAMES_HTML(lab.url, `http://frames.localhost:${port}`));
  });
  framesServer.listen(0, '127.0.0.1');
  await once(framesServer, 'listening');
  const framesUrl = `http://127.0.0.1:${(framesServer.address() as AddressInfo).port}/`;
  const q = (page: string, mode: string, scale = 0.2) => `${lab.url}/pages/${page}.html?mode=${mode}&scale=${scale}`;
  const pages: Array<[string, string]> = [
    ['socketio-ws', q('socketio', 'socketio-ws')],
    ['graphql-ws-keepalive', q('graphql-ws', 'graphql-ws-keepalive')],
    ['sse-resume', q('sse', 'sse-resume')],
    ['longpoll-held', q('long-polling', 'longpoll-held', 0.5)],
    ['polling-naive', q('polling', 'polling-naive', 0.5)],
    ['ws-heartbeat', q('websocket', 'ws-heartbeat')],
    ['reconnect-backoff', q('reconnect', 'reconnect-backoff', 0.5)],
    ['frames + worker', framesUrl],
  ];
  const rows: string[][] = [];
  const json: unknown[] = [];
  try {
    for (const [name, url] of pages) {
      const viaExtension = (async () => {
        const { page, tabId } = await b.extension.newTab();
        try {
          await page.goto(url);
          await sleep(SECONDS * 1000);
          const capture = await b.extension.exportTab(tabId);
          return { report: analyzeCapture(capture.events, { until: Date.parse(capture.createdAt) }), events: capture.events.length };
        } finally {
          await page.close();
        }
      })();
      const viaInit = (async () => {
        const page = await b.plain.newPage();
        try {
          const rt = await attach(page);
          await page.goto(url);
          await sleep(SECONDS * 1000);
          const report = await rt.report();
          return { report, events: rt.events().length };
        } finally {
          await page.close();
        }
      })();
      const [ext, init] = await Promise.all([viaExtension, viaInit]);
      const a = summary(ext.report);
      const c = summary(init.report);
      const same = (x: string[], y: string[]) => (JSON.stringify(x) === JSON.stringify(y) ? 'same' : `ext: ${x.join('; ') || '-'} / init: ${y.join('; ') || '-'}`);
      rows.push([name, `${a.channels.length} / ${c.channels.length}`, same(a.channels, c.channels), same(a.heartbeats, c.heartbeats), same(a.backoff, c.backoff), same(a.findings, c.findings), `${ext.events} / ${init.events}`]);
      json.push({ page: name, extension: { ...a, events: ext.events }, initScript: { ...c, events: init.events } });
      log(`  fidelity ${name}: ${rows.at(-1)!.slice(1).join(' | ')}`);
    }
  } finally {
    framesServer.close();
    await lab.close();
  }
  return { rows, json };
}

async function main(): Promise<void> {
  const plain = await chromium.launch({ executablePath: findChrome(), headless: true, args: BASE_ARGS, ignoreDefaultArgs: IGNORED_DEFAULT_ARGS });
  const extension = await launchInspector({ workers: false });
  const b: Browsers = { plain, extension };
  const out: Record<string, unknown> = { date: new Date().toISOString(), rounds: ROUNDS, scale: SCALE, seconds: SECONDS };
  try {
    if (values.only !== 'fidelity') {
      log(`Overhead: ${ROUNDS} rounds at workload scale ${SCALE}`);
      const o = await overhead(b);
      out.overhead = o.json;
      process.stdout.write(
        `\nPage main-thread CPU (ThreadTime), ratio to no instrumentation, median (min–max) of ${ROUNDS} rounds, and events recorded\n${table(['workload', 'baseline ms', 'extension', 'init script + binding'], o.rows)}\n`,
      );
    }
    if (values.only !== 'overhead') {
      log(`Fidelity: ${SECONDS} s per page, both routes at once`);
      const f = await fidelity(b);
      out.fidelity = f.json;
      process.stdout.write(
        `\nFidelity: the same page recorded by both routes at once for ${SECONDS} s (extension / init script)\n${table(['page', 'channels', 'endpoint, kind, protocol', 'heartbeats', 'backoff', 'finding codes', 'events'], f.rows)}\n`,
      );
    }
  } finally {
    await plain.close();
    await extension.close();
  }
  writeFileSync(values.out!, `${JSON.stringify(out, null, 2)}\n`);
  log(`written to ${values.out}`);
}

await main();
