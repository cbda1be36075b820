/**
 * Smoke test of the real DevTools panel: headless Chromium with DevTools open
 * for the tab (--auto-open-devtools-for-tabs), the extension's "Realtime" panel
 * shown through DevTools' own InspectorView, and the panel iframe checked over
 * raw CDP: it takes the tab from chrome.devtools.inspectedWindow and lists the
 * page's channels. This uses DevTools internals (ui/legacy/legacy.js), which can
 * change between Chrome versions; the other panel tests open the panel page directly.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { startPanelServer, type PanelServer } from './fixtures/panel-server.ts';
import { tabIdOf } from './fixtures/extension.ts';
import { freePort } from '../../lab/demo.ts';

let browser: LaunchedBrowser;
let server: PanelServer;
let port: number;

interface Target {
  type: string;
  url: string;
  title: string;
  webSocketDebuggerUrl: string;
}

async function findTarget(predicate: (t: Target) => boolean, what: string): Promise<Target> {
  for (let i = 0; i < 150; i++) {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Target[];
    const found = list.find(predicate);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Target[];
  throw new Error(`no ${what} target appeared; targets: ${JSON.stringify(list.map((t) => [t.type, t.url.slice(0, 80), t.title.slice(0, 60)]))}`);
}

/** Evaluate an expression in a target over raw CDP. */
async function evaluateIn<T>(target: Target, expression: string): Promise<T> {
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  try {
    return await new Promise<T>((resolve, reject) => {
      ws.on('message', (raw: Buffer) => {
        const reply = JSON.parse(String(raw)) as { id?: number; result?: { result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } } };
        if (reply.id !== 1) return;
        const details = reply.result?.exceptionDetails;
        if (details) reject(new Error(details.exception?.description ?? details.text));
        else resolve(reply.result!.result.value);
      });
      ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } }));
    });
  } finally {
    ws.close();
  }
}

beforeAll(async () => {
  server = await startPanelServer();
  port = await freePort();
  browser = await launchBrowser({ args: ['--auto-open-devtools-for-tabs', `--remote-debugging-port=${port}`] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('DevTools shows a "Realtime" panel that inspects the tab it belongs to', { timeout: 120_000 }, async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/`);
  const front = await findTarget((t) => t.url.startsWith('devtools://') && t.title.includes(server.origin.replace('http://', '')), 'DevTools front end');
  const shown = await evaluateIn<{ id: string | null; title: string | null }>(
    front,
    `(async () => {
      const UI = await import('./ui/legacy/legacy.js');
      const iv = UI.InspectorView.InspectorView.instance();
      for (let i = 0; i < 100; i++) {
        const id = iv.tabbedPane.tabIds().find((t) => t.includes(${JSON.stringify(browser.extensionId)}));
        if (id) {
          await iv.showPanel(id);
          return { id, title: iv.tabbedPane.tabsById.get(id)?.title ?? null };
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return { id: null, title: null };
    })()`,
  );
  expect(shown.id).not.toBeNull();
  expect(shown.title).toBe('Realtime');
  const panelFrame = await findTarget((t) => t.url.startsWith(`chrome-extension://${browser.extensionId}/src/panel/panel.html`), 'panel iframe');
  expect(panelFrame.url).not.toContain('tabId=');
  const seen = await evaluateIn<{ tabId: number; kinds: string[]; analysis: string }>(
    panelFrame,
    `(async () => {
      for (let i = 0; i < 150; i++) {
        const kinds = Array.from(document.querySelectorAll('.overview-table tbody tr [data-kind]'), (e) => e.getAttribute('data-kind')).sort();
        // The panel's module may still be loading when the frame appears: __riPanel comes with it.
        const analysis = globalThis.__riPanel?.store.analysisThread();
        if (analysis && ['polling', 'sse', 'websocket'].every((k) => kinds.includes(k))) return { tabId: chrome.devtools.inspectedWindow.tabId, kinds, analysis };
        await new Promise((r) => setTimeout(r, 100));
      }
      return { tabId: chrome.devtools.inspectedWindow.tabId, kinds: [], analysis: globalThis.__riPanel?.store.analysisThread() ?? 'no panel' };
    })()`,
  );
  expect(seen.tabId).toBe(await tabIdOf(browser.worker!, `${server.origin}/`));
  expect(seen.kinds).toEqual(['polling', 'sse', 'websocket']);
  // Inside DevTools too, the analysis runs in its worker (the extension page's CSP lets the bundled worker load).
  expect(seen.analysis).toBe('worker');
});
