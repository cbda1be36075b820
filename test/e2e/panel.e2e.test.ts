/**
 * The Realtime panel end to end: the built extension in real Chromium, a local
 * page with polling + SSE + WebSocket, the panel opened as
 * chrome-extension://<id>/src/panel/panel.html?tabId=N. Asserts on what the
 * panel shows and on the data its charts draw (globalThis.__riPanel.charts),
 * saves light and dark screenshots to docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type LaunchedBrowser } from '../support/browser.ts';
import { tabIdOf } from './fixtures/extension.ts';
import { startPanelServer, type PanelServer } from './fixtures/panel-server.ts';

const SCREENSHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

let browser: LaunchedBrowser;
let server: PanelServer;
let tabId: number;

type Charts = Record<string, Record<string, unknown>>;

function chart(panel: Page, name: string): Promise<Record<string, unknown> | null> {
  return panel.evaluate((n) => {
    const c = (globalThis as unknown as { __riPanel?: { charts?: Charts } }).__riPanel?.charts?.[n];
    if (!c) return null;
    return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === 'object' && v !== null ? Array.from(v as ArrayLike<unknown>) : v]));
  }, name);
}

async function openPanel(theme: 'light' | 'dark'): Promise<Page> {
  const panel = await browser.context.newPage();
  await panel.setViewportSize({ width: 1280, height: 800 });
  await panel.goto(`chrome-extension://${browser.extensionId}/src/panel/panel.html?tabId=${tabId}&theme=${theme}`);
  // History arrives in chunks and the report is rebuilt at most every 250 ms: wait for all three kinds.
  await panel.waitForFunction(() => {
    const kinds = Array.from(document.querySelectorAll('.overview-table tbody tr [data-kind]'), (e) => e.getAttribute('data-kind'));
    return ['polling', 'sse', 'websocket'].every((k) => kinds.includes(k));
  });
  return panel;
}

async function kindsShown(panel: Page): Promise<string[]> {
  return panel.$$eval('.overview-table tbody tr [data-kind]', (els) => els.map((e) => e.getAttribute('data-kind')!).sort());
}

beforeAll(async () => {
  server = await startPanelServer();
  browser = await launchBrowser();
  const page = await browser.context.newPage();
  await page.goto(`${server.origin}/`);
  tabId = await tabIdOf(browser.worker!, `${server.origin}/`);
  // Let every channel show its pattern: 2.5 s of polling (200 ms), SSE ticks (150 ms) and WebSocket pushes (100 ms).
  await page.waitForTimeout(2500);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('panel', () => {
  test('overview lists the three channels with kinds, waste, findings and the page timeline', async () => {
    const panel = await openPanel('light');
    expect(await kindsShown(panel)).toEqual(['polling', 'sse', 'websocket']);
    const pollRow = panel.locator('.overview-table tbody tr', { has: panel.locator('[data-kind="polling"]') });
    expect(Number((await pollRow.locator('.waste-num').textContent())!.replace('%', ''))).toBeGreaterThanOrEqual(50);
    expect(Number((await panel.getByTestId('wasted-requests').textContent())!.replace(/,/g, ''))).toBeGreaterThan(5);
    const findings = await panel.getByTestId('findings-count').textContent();
    expect(findings).toMatch(/\d/);
    const timeline = await chart(panel, 'page-timeline');
    expect(timeline!.lanes).toBe(3);
    expect((timeline!.spanStart as number[]).length).toBeGreaterThan(5);
    expect((timeline!.markT as number[]).length).toBeGreaterThan(20);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await panel.screenshot({ path: resolve(SCREENSHOTS, 'panel-light.png') });
    await panel.close();
  });

  test('channel detail: timeline, charts and messages of the WebSocket; dark theme', async () => {
    const panel = await openPanel('dark');
    expect(await panel.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await panel.locator('.overview-table tbody tr', { has: panel.locator('[data-kind="websocket"]') }).dblclick();
    await panel.waitForSelector('.detail');
    const timeline = await chart(panel, 'channel-timeline');
    const styles = timeline!.markStyle as number[];
    expect(styles.filter((s) => s === 0).length).toBeGreaterThan(10);
    // The page's {"type":"ping"} every 300 ms and the server's pongs are recognised as heartbeats.
    expect(styles.filter((s) => s === 2).length).toBeGreaterThan(3);
    expect(await panel.locator('.vrow').count()).toBeGreaterThan(10);
    await panel.getByText('Hide heartbeats').click();
    await panel.locator('.vrow.kind-data').first().click();
    expect(await panel.getByTestId('message-view').textContent()).toMatch(/type/);
    await panel.locator('[data-tab="charts"]').click();
    const latency = await chart(panel, 'latency');
    expect(latency!.samples as number).toBeGreaterThan(10);
    expect(latency!.median as number).toBeGreaterThan(0);
    expect(await panel.locator('[data-chart="latency"] canvas').count()).toBeGreaterThan(0);
    await panel.screenshot({ path: resolve(SCREENSHOTS, 'panel-dark.png') });
    await panel.close();
  });
});
