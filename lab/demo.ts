/**
 * What `npm start` runs after the build (scripts/start.mjs): the lab, and either
 * Chromium on screen with the extension and DevTools on the Realtime panel, or,
 * with no display, an audit of every lab page in parallel tabs, printed as reports.
 */
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { startLab, type Lab } from './server.ts';
import { LAB_PAGES, auditPlan, mainChannel, pageOrigin } from './catalog.ts';
import { launchInspector, type InspectorSession } from '../src/cli/browser.ts';
import { auditPage } from '../src/cli/audit-run.ts';
import { formatSummary } from '../src/cli/analyze.ts';

/** Time scale of the headless tour: a quarter of real timings, so the whole tour takes under a minute. */
const TOUR_SCALE = 0.25;
/** The port a person sees in the address bar, when free. */
const PREFERRED_PORT = 8080;

const out = (line = '') => process.stdout.write(`${line}\n`);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startLabOnPreferredPort(scale: number): Promise<Lab> {
  try {
    return await startLab({ port: PREFERRED_PORT, scale });
  } catch {
    return startLab({ port: 0, scale });
  }
}

/** A raw CDP call on a target's WebSocket (the DevTools front-end is not a playwright page). */
export function cdpEvaluate(webSocketUrl: string, expression: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(webSocketUrl);
    const timer = setTimeout(() => (socket.terminate(), reject(new Error('DevTools did not answer'))), 20_000);
    socket.on('open', () => socket.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: { result?: { value?: unknown } }; error?: { message: string } };
      if (message.id !== 1) return;
      clearTimeout(timer);
      socket.close();
      if (message.error) reject(new Error(message.error.message));
      else resolve(message.result?.result?.value);
    });
    socket.on('error', (error) => (clearTimeout(timer), reject(error)));
  });
}

/**
 * Switch the DevTools window of the lab tab to the Realtime panel. This uses DevTools
 * front-end internals (InspectorView); they can change
 * between Chrome versions, so failure only prints a hint.
 */
export async function showRealtimePanel(debugPort: number, extensionId: string, pageHost: string): Promise<boolean> {
  const expression = `(async () => {
    const UI = await import('./ui/legacy/legacy.js');
    const view = UI.InspectorView.InspectorView.instance();
    for (let i = 0; i < 100; i++) {
      const id = view.tabbedPane.tabIds().find((t) => t.includes(${JSON.stringify(extensionId)}));
      if (id) { await view.showPanel(id); return true; }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  })()`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const targets = (await fetch(`http://127.0.0.1:${debugPort}/json/list`).then((r) => r.json()).catch(() => [])) as Array<{
      url: string;
      title: string;
      webSocketDebuggerUrl?: string;
    }>;
    // The front end titles itself after the inspected page once it has booted; before that its settings do not exist.
    const devtools = targets.find((t) => t.url.startsWith('devtools://devtools/') && t.title.includes(pageHost) && t.webSocketDebuggerUrl);
    if (devtools?.webSocketDebuggerUrl && (await cdpEvaluate(devtools.webSocketDebuggerUrl, expression).catch(() => false)) === true) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Chromium on screen with the lab; resolves when the user closes the browser or presses Ctrl-C. */
export async function runOnScreen(): Promise<void> {
  const lab = await startLabOnPreferredPort(1);
  const debugPort = await freePort();
  let session: InspectorSession;
  try {
    session = await launchInspector({ headless: false, args: ['--auto-open-devtools-for-tabs', `--remote-debugging-port=${debugPort}`] });
  } catch (error) {
    await lab.close();
    throw error;
  }
  const page = session.context.pages()[0] ?? (await session.context.newPage());
  await page.goto(`${lab.url}/`);
  out(`Realtime Inspector lab: ${lab.url}/`);
  const shown = await showRealtimePanel(debugPort, session.extensionId, new URL(lab.url).host);
  out(shown ? 'DevTools is open on the Realtime panel.' : 'Open DevTools (F12) and pick the "Realtime" panel.');
  out('Pick a page in the lab; press Ctrl-C here to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    session.context.once('close', stop);
  });
  await session.close();
  await lab.close();
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
}

/** Audit every lab page headless, in parallel tabs of one browser, and print the reports. */
export async function runTour(): Promise<void> {
  const lab = await startLab({ port: 0, scale: TOUR_SCALE });
  const session = await launchInspector().catch(async (error: unknown) => {
    await lab.close();
    throw error;
  });
  try {
    const longest = Math.max(...LAB_PAGES.map((p) => auditPlan(p, TOUR_SCALE).durationMs));
    out(`No display: auditing all ${LAB_PAGES.length} lab pages at once (${Math.round(longest / 1000)} s, timings at ${TOUR_SCALE}× real).`);
    const started = Date.now();
    const ticker = setInterval(() => {
      const left = Math.ceil((longest - (Date.now() - started)) / 1000);
      process.stderr.write(left > 0 ? `  recording… ${left}s left\n` : '  analysing…\n');
      if (left <= 0) clearInterval(ticker);
    }, 10_000);
    const runs = await Promise.all(
      LAB_PAGES.map(async (page) => {
        const plan = auditPlan(page, TOUR_SCALE);
        const run = await auditPage(session, { url: `${pageOrigin(lab.url, page.id)}${plan.path}`, durationMs: plan.durationMs, faults: [] }).catch((e: Error) => e);
        return { page, run };
      }),
    ).finally(() => clearInterval(ticker));

    const widths = [22, 5, 13, 11, 11, 12, 8];
    const table = [row(['page', 'good', 'kind', 'protocol', 'heartbeat', 'backoff', 'findings'], widths)];
    for (const { page, run } of runs) {
      out();
      out(`━━ ${page.title} (${page.variant}) ━━`);
      if (run instanceof Error) {
        out(`audit failed: ${run.message}`);
        table.push(row([page.id, page.variant, 'error', '', '', '', ''], widths));
        continue;
      }
      out(formatSummary(run.report).trimEnd());
      const c = mainChannel(page, run.report.channels);
      const heartbeat = c?.heartbeat ? (c.heartbeat.intervalMs !== null ? `${(c.heartbeat.intervalMs / 1000).toFixed(1)} s` : 'none') : '—';
      const findings = c ? `${c.findings.filter((f) => f.severity === 'error').length}E ${c.findings.filter((f) => f.severity === 'warning').length}W` : '';
      table.push(row([page.id, page.variant, c?.kind ?? '—', c?.protocol ?? '—', heartbeat, c?.backoff?.model ?? '—', findings], widths));
    }
    out();
    out(`Summary (main channel of each page; timings at ${TOUR_SCALE}× real, so heartbeats read 4× faster than the pages' defaults):`);
    for (const line of table) out(`  ${line}`);
    out();
    out('Audit a page yourself: npx realtime-inspector audit <url> --duration 30s --fault drop@10s --assert backoff=exponential');
  } finally {
    await session.close();
    await lab.close();
  }
}
