/**
 * One audit run in one tab: load the URL with the extension recording, apply the
 * faults at their times through the background API, export the capture and
 * analyse it with the core. Several runs can share one browser (parallel tabs):
 * the lab's `npm start` and the end-to-end tests do that.
 */
import type { Page } from 'playwright-core';
import { analyzeCapture } from '../core/index.ts';
import type { CaptureFile, Report } from '../core/index.ts';
import type { ScheduledFault } from './audit-args.ts';
import { firstLine, type InspectorSession } from './browser.ts';
import { CliError, EXIT } from './audit-exit.ts';

export interface AuditRunOptions {
  url: string;
  durationMs: number;
  faults: ScheduledFault[];
  users?: number;
  headers?: Record<string, string>;
  cookies?: Array<{ name: string; value: string }>;
  /** Capture the page's workers' traffic too (default true; src/cli/workers.ts). */
  workers?: boolean;
}

export interface AuditProgress {
  elapsedMs: number;
  durationMs: number;
  events: number;
  /** Channels in the latest analysis of the capture so far. */
  channels: number;
  /** Faults applied so far (their specs). */
  applied: string[];
}

export interface AuditRun {
  capture: CaptureFile;
  report: Report;
  /** Uncaught page errors (informational; the audit goes on). */
  pageErrors: string[];
  /** Faults the background could not deliver, with the reason. */
  faultErrors: string[];
}

/** How often progress is reported, and how often the partial capture is analysed for the channel count. */
const PROGRESS_MS = 1000;
const ANALYSE_EVERY_MS = 5000;

/** Navigation errors that mean "the URL cannot be reached" rather than "the page broke". */
function isUnreachable(message: string): boolean {
  return /net::ERR_|NS_ERROR_|Timeout .* exceeded/.test(message);
}

/** Run one audit in a new tab of `session`. */
export async function auditPage(
  session: InspectorSession,
  options: AuditRunOptions,
  onProgress?: (progress: AuditProgress) => void,
): Promise<AuditRun> {
  const { page, tabId } = await session.newTab();
  const workers = options.workers === false ? null : await session.captureWorkers(page, tabId);
  const pageErrors: string[] = [];
  const faultErrors: string[] = [];
  const applied: string[] = [];
  let crashed = false;
  page.on('pageerror', (error) => pageErrors.push(firstLine(error)));
  page.on('crash', () => {
    crashed = true;
  });
  try {
    if (options.headers && Object.keys(options.headers).length) await page.setExtraHTTPHeaders(options.headers);
    if (options.cookies?.length) {
      // Site-wide (path /), as a login cookie usually is, so the page's API and socket requests carry it too.
      const { hostname, protocol } = new URL(options.url);
      await session.context.addCookies(options.cookies.map((c) => ({ ...c, domain: hostname, path: '/', secure: protocol === 'https:' })));
    }
    const started = performance.now();
    const timers = options.faults.map((fault) =>
      setTimeout(() => {
        injectWhenConnected(session, tabId, fault).then(
          () => applied.push(fault.spec),
          (error: unknown) => faultErrors.push(`${fault.spec}: ${firstLine(error)}`),
        );
      }, fault.atMs),
    );
    try {
      await navigate(page, options.url);
      await record(session, page, tabId, started, options.durationMs, () => crashed, applied, onProgress);
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
    if (crashed) throw new CliError(`the page crashed while recording ${options.url}`, EXIT.crashed);
    await workers?.flush();
    const capture = await session.exportTab(tabId).catch((error: unknown) => {
      throw new CliError(`the extension did not hand over the capture: ${firstLine(error)}`, EXIT.crashed);
    });
    // Recording ran until the export: a socket silent since its last message was open and idle until then.
    const report = analyzeCapture(capture.events, { users: options.users, until: Date.parse(capture.createdAt) });
    if (report.page.url === '') report.page = capture.page;
    return { capture, report, pageErrors, faultErrors };
  } finally {
    await workers?.close();
    await page.close().catch(() => {});
  }
}

/** How long a fault waits for the page's hooks to connect (a fault at 0 s is due before the page has loaded). */
const FAULT_CONNECT_WAIT_MS = 10_000;

/** Deliver a fault, waiting for the document's hooks to connect when none is yet (page still loading). */
async function injectWhenConnected(session: InspectorSession, tabId: number, fault: ScheduledFault): Promise<void> {
  const deadline = performance.now() + FAULT_CONNECT_WAIT_MS;
  for (;;) {
    try {
      return await session.injectFault(tabId, fault.command);
    } catch (error) {
      if (!/no connected frame/.test(firstLine(error)) || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function navigate(page: Page, url: string): Promise<void> {
  let response;
  try {
    response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
  } catch (error) {
    const message = firstLine(error);
    const reason = message.replace(/^page\.goto: /, '');
    if (isUnreachable(message)) throw new CliError(`cannot load ${url}: ${reason}`, EXIT.unreachable);
    if (/crash/i.test(message)) throw new CliError(`the page crashed while loading ${url}`, EXIT.crashed);
    throw new CliError(`loading ${url} failed: ${reason}`, EXIT.crashed);
  }
  if (response && response.status() >= 400) {
    throw new CliError(`cannot audit ${url}: the server answered ${response.status()} ${response.statusText()}`, EXIT.unreachable);
  }
}

async function record(
  session: InspectorSession,
  page: Page,
  tabId: number,
  started: number,
  durationMs: number,
  isCrashed: () => boolean,
  applied: string[],
  onProgress?: (progress: AuditProgress) => void,
): Promise<void> {
  let channels = 0;
  let lastAnalysis = 0;
  for (;;) {
    const elapsedMs = performance.now() - started;
    if (elapsedMs >= durationMs || isCrashed() || page.isClosed()) return;
    if (onProgress) {
      const events = await session.eventCount(tabId).catch(() => 0);
      if (elapsedMs - lastAnalysis >= ANALYSE_EVERY_MS) {
        lastAnalysis = elapsedMs;
        const capture = await session.exportTab(tabId).catch(() => null);
        if (capture) channels = analyzeCapture(capture.events).channels.length;
      }
      onProgress({ elapsedMs, durationMs, events, channels, applied: [...applied] });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(PROGRESS_MS, durationMs - elapsedMs)));
  }
}
