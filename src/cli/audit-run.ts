/**
 * One audit run in one tab: load the URL with the extension recording, apply the
 * faults at their times through the background API, export the capture and
 * analyse it with the core. An `offline` fault also takes the tab offline in Chrome
 * itself (BrowserOffline), so that the page's libraries see what a real outage shows them.
 * Several runs can share one browser (parallel tabs): the lab's `npm start` and the
 * end-to-end tests do that.
 */
import type { CDPSession, Page } from 'playwright-core';
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
    const offline = new BrowserOffline(session, page);
    const timers = options.faults.map((fault) =>
      setTimeout(() => {
        injectWhenConnected(session, tabId, fault)
          // The browser goes offline once the hooks have applied the fault (not before the page has
          // loaded), for as long: its `online` then comes after the hooks' window has ended, so a
          // client that reconnects on `online` is not refused by the hooks.
          .then(() => (fault.command.fault === 'offline' ? offline.start(fault.command.durationMs) : undefined))
          .then(
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
      await offline.close();
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

/**
 * The tab offline in Chrome itself for an `offline` fault's window: the DevTools protocol's
 * network emulation (what DevTools' "Offline" does) sets navigator.onLine to false and fires
 * the window's `offline` event, then `online` at the end, and fails what the hooks do not
 * intercept (scripts, images, a library's own probes). The hooks' offline fault still fails
 * the page's connections in every frame and drops the open ones, as a lost link does (the
 * emulation applies to the tab's own frame and leaves open connections up). Without it a
 * library that listens for `online` to reconnect at once (pusher-js, engine.io-client's close
 * on `offline`, many hand-written clients) would be audited on behaviour it never shows users.
 */
class BrowserOffline {
  private cdp: Promise<CDPSession> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly session: InspectorSession,
    private readonly page: Page,
  ) {}

  private conditions(offline: boolean) {
    return { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };
  }

  /** Offline now, online again after `durationMs` (a later window replaces the end of an earlier one, as the hooks' does). */
  async start(durationMs: number): Promise<void> {
    if (this.closed) return;
    this.cdp ??= this.session.context.newCDPSession(this.page);
    const cdp = await this.cdp;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) void cdp.send('Network.emulateNetworkConditions', this.conditions(false)).catch(() => undefined);
    }, durationMs);
    await cdp.send('Network.emulateNetworkConditions', this.conditions(true));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const cdp = await this.cdp?.catch(() => null);
    await cdp?.detach().catch(() => undefined);
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
