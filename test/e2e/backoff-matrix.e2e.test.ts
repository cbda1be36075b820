/**
 * The backoff matrix of issue 13: every client of test/e2e/fixtures/backoff-matrix.ts in every
 * failure mode (server down, server accepts then closes, page offline), in real Chromium with the
 * built extension, through the `audit` code path: the options parsed from a command line
 * (readAuditOptions), one tab per case (auditPage), the report written as `--json` writes it, and
 * the `--assert` gates judged on it (judge). The report must give each library's documented model
 * (read in its source, cited in the fixtures), or no verdict where the delays cannot decide one,
 * and never claim the opposite of what the delays show.
 * For one client per failure mode, the panel, opened on the audited tab while it records, must
 * show the same verdict.
 *
 * All cases run at once in one browser, each with a server on its own port and host name
 * (`<client>-<mode>.localhost`), so the matrix takes about a minute. RI_MATRIX_OUT=<dir> keeps
 * each case's raw data (report, reconnect rows, the library's own log) as <client>--<mode>.json;
 * RI_MATRIX_ONLY=<client id>,… runs only those clients (test/e2e/fixtures/matrix-server.ts).
 */
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { checkAssertion, judge } from '../../src/cli/audit-assert.ts';
import { parseAssertion } from '../../src/cli/audit-args.ts';
import { describeBackoffShape } from '../../src/core/index.ts';
import type { Backoff, ChannelReport, Report } from '../../src/core/report-types.ts';
import {
  MATRIX_CLIENTS,
  RECORD_MS,
  evidenceOf,
  pageLogDelays,
  reconnectRows,
  startClientServer,
  type Evidence,
  type Expectation,
  type MatrixClient,
  type ReconnectRow,
} from './fixtures/backoff-matrix.ts';
import {
  FAILURE_AT_MS,
  FAILURE_MODES,
  FAILURE_MS,
  MATRIX_ONLY,
  auditCase,
  keepRaw,
  offlineFault,
  packageVersion,
  type FailureMode,
  type PageLogEntry,
} from './fixtures/matrix-server.ts';

interface MatrixCase {
  id: string;
  client: MatrixClient;
  mode: FailureMode;
  expectation: Expectation;
  /** Host name of its page (`<host>.localhost`). */
  host: string;
}

const CASES: MatrixCase[] = MATRIX_CLIENTS.filter((client) => !MATRIX_ONLY || MATRIX_ONLY.includes(client.id)).flatMap((client) =>
  FAILURE_MODES.map((mode) => ({ id: `${client.id} / ${mode}`, client, mode, expectation: client.expect(mode), host: `${client.id}-${mode}` })),
);

/** Cases whose panel is opened on the audited tab: one per failure mode, each with a verdict to show. */
const PANEL_CASES = ['handwritten / server-down', 'rws / accept-close', 'socketio-ws / offline'].filter((id) => CASES.some((c) => c.id === id));

interface CaseResult {
  argv: string[];
  /** The report as read back from the `--json` file. */
  report: Report;
  gates: { code: number; lines: string[] };
  /** The judged channel: on the client's endpoint, the one with the most reconnects. */
  judged: ChannelReport | null;
  channels: ChannelReport[];
  rows: ReconnectRow[];
  pageLog: PageLogEntry[];
  /** What the library's own delays show (cap reached, jitter visible). */
  evidence: Evidence;
  serverLog: Array<{ t: number; what: string }>;
  failureStart: number;
  elapsedMs: number;
  /** The panel's report of the same tab, for PANEL_CASES. */
  panelReport: Report | null;
  panel: Page | null;
}

let session: InspectorSession;
let tmp: string;
const results = new Map<string, Promise<CaseResult | Error>>();
const panels = new Map<string, Page>();
const started = Date.now();

/** The client's channels in a report (its endpoint, not one-off requests), the judged one first. */
function channelsOf(report: Report, client: MatrixClient): ChannelReport[] {
  return report.channels.filter((c) => c.url.includes(client.channel) && c.kind !== 'one-off').sort((a, b) => b.reconnects.length - a.reconnects.length);
}

/**
 * The `--assert` rules the case's audit must pass: the documented model, and its jitter where the
 * run's own delays show it (two delays fit any exponential). Where the case allows no verdict and
 * the report gives none, the model is not gated (the gate fails on no verdict, by design).
 */
function assertsOf(c: MatrixCase, evidence: Evidence, judged: ChannelReport | null): string[] {
  const at = `@${c.client.channel}`;
  const e = c.expectation;
  if (e.verdict === 'none') return [`reconnects>=${e.reconnects[0]}${at}`, `reconnects<=${e.reconnects[1]}${at}`];
  if (e.orNoVerdict && undecided(judged)) return [];
  return [`backoff=${e.model}${at}`, ...(evidence.jitter === e.jitter ? [`jitter=${e.jitter}${at}`] : [])];
}

/** The report gives no verdict on the channel: no fit, or one of low confidence (worded as none). */
function undecided(channel: ChannelReport | null): boolean {
  return !channel?.backoff || channel.backoff.confidence === 'low';
}

/** What the library's own delays of a run show, against the case's documented cap. */
function evidenceOfRun(c: MatrixCase, pageLog: readonly PageLogEntry[]): Evidence {
  return evidenceOf(pageLogDelays(pageLog), c.expectation.verdict === 'fit' ? c.expectation.capMs : null);
}

/**
 * Determinism is shown only where the capture shows it too: the hooks time a retry from the close
 * event to the next constructor call, tens of ms later than the library's own timer on a busy page
 * (4014 ms in the page's log, 4060 ms captured, against a 4 s policy). Where the library's delays
 * show no jitter but the captured ones cannot, the report may stay silent (and must still not claim jitter).
 */
function capturedEvidence(c: MatrixCase, library: Evidence, judged: ChannelReport | null, failureStart: number): Evidence {
  if (library.jitter !== false || judged === null) return library;
  const captured = judged.reconnects.filter((r) => r.at >= failureStart - 100).map((r) => r.delayMs);
  const seen = evidenceOf(captured, c.expectation.verdict === 'fit' ? c.expectation.capMs : null);
  return seen.jitter === false ? library : { ...library, jitter: null };
}

/** Run a case: audit its page through a failure; `withPanel`: point the case's panel page at the tab (not on a rerun, whose panel check already ran). */
async function runCase(c: MatrixCase, withPanel = true): Promise<CaseResult> {
  const server = await startClientServer(c.client, c.host);
  const json = join(tmp, `${c.client.id}--${c.mode}.json`);
  const argv = [`${server.origin}/`, '--duration', `${RECORD_MS / 1000}s`, ...(c.mode === 'offline' ? ['--fault', offlineFault(FAILURE_MS)] : []), '--json', json];
  const panel = withPanel ? (panels.get(c.id) ?? null) : null;
  let panelLoaded: Promise<unknown> = Promise.resolve();
  try {
    // The failure is timed from the tab's opening, as auditPage times its --fault schedule; the panel is pointed at the tab.
    const audit = await auditCase(session, argv, (tab) => {
      if (c.mode !== 'offline') server.failAfter(FAILURE_AT_MS, c.mode, FAILURE_MS);
      if (panel) panelLoaded = panel.goto(`chrome-extension://${session.extensionId}/src/panel/panel.html?tabId=${tab.tabId}`);
    });
    const { options, run, pageLog } = audit;
    const failureStart = audit.tabOpenedAt + FAILURE_AT_MS;
    // What `audit --json` writes (src/cli/audit.ts), read back as a user's script would.
    writeFileSync(options.json!, `${JSON.stringify(run.report, null, 2)}\n`);
    const report = JSON.parse(readFileSync(options.json!, 'utf8')) as Report;
    const channels = channelsOf(report, c.client);
    const judged = channels[0] ?? null;
    const evidence = capturedEvidence(c, evidenceOfRun(c, pageLog), judged, failureStart);
    const asserts = assertsOf(c, evidence, judged);
    const gates = judge(report, { ...options, asserts: asserts.map(parseAssertion) });
    const rows = judged ? reconnectRows(judged.reconnects, run.capture.events, c.client.channel, failureStart) : [];
    let panelReport: Report | null = null;
    if (panel) {
      await panelLoaded;
      panelReport = await panel.evaluate(() => (globalThis as unknown as { __riPanel: { store: { analyzed(): Promise<Report> } } }).__riPanel.store.analyzed());
    }
    const result: CaseResult = {
      argv: [...argv, ...asserts.flatMap((a) => ['--assert', a])],
      report,
      gates: { code: gates.code, lines: gates.lines },
      judged,
      channels,
      rows,
      pageLog,
      evidence,
      serverLog: server.log,
      failureStart,
      elapsedMs: audit.elapsedMs,
      panelReport,
      panel,
    };
    keepRaw(`${c.client.id}--${c.mode}`, () => rawData(c, result));
    return result;
  } finally {
    await server.close();
  }
}

/** The case's raw data for the lead's regression set (RI_MATRIX_OUT). */
function rawData(c: MatrixCase, r: CaseResult): object {
  const channel = (ch: ChannelReport) => ({
    kind: ch.kind,
    url: ch.url,
    protocol: ch.protocol,
    connections: ch.connections,
    reconnects: ch.reconnects.length,
    backoff: ch.backoff,
    findings: ch.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message, evidence: f.evidence })),
  });
  return {
    case: c.id,
    client: c.client.title,
    library: c.client.library,
    mode: c.mode,
    expected: c.expectation,
    argv: ['realtime-inspector', 'audit', ...r.argv],
    auditGates: r.gates,
    judged: r.judged ? channel(r.judged) : null,
    channels: r.channels.map(channel),
    reconnects: r.rows,
    libraryDelaysMs: pageLogDelays(r.pageLog),
    evidence: r.evidence,
    auditMs: r.elapsedMs,
    pageLog: r.pageLog.map((e) => ({ ...e, atS: Math.round((e.t - r.failureStart) / 10) / 100 })),
    serverLog: r.serverLog.map((e) => ({ ...e, atS: Math.round((e.t - r.failureStart) / 10) / 100 })),
    panelBackoff: r.panelReport ? channelsOf(r.panelReport, c.client)[0]?.backoff ?? null : null,
    report: r.report,
  };
}

/** One line per reconnect, for failure messages. */
function describeRun(r: CaseResult): string {
  const channels = r.channels.map((c) => `${c.kind} ${c.url}: ${c.reconnects.length} reconnects, backoff ${JSON.stringify(c.backoff)}, findings [${c.findings.map((f) => f.code).join(', ')}]`);
  const rows = r.rows.map((x) => `#${x.attempt ?? '?'} +${x.atS}s ${x.delayMs} ms (${x.cause}; before: ${x.prevEnd}, ${x.prevOpened ? `up ${x.prevUptimeMs} ms` : 'never opened'})`);
  const evidence = `library delays: ${pageLogDelays(r.pageLog).join(', ')} (${r.evidence.atCap} at the cap, jitter shown: ${r.evidence.jitter})`;
  return [...channels, evidence, ...rows, ...r.gates.lines].join('\n  ');
}

const within = (expect: ExpectStatic, value: number, [low, high]: readonly [number, number], what: string) => {
  expect.soft(value, `${what} ${value} not in [${low}, ${high}]`).toBeGreaterThanOrEqual(low);
  expect.soft(value, `${what} ${value} not in [${low}, ${high}]`).toBeLessThanOrEqual(high);
};

/**
 * Findings no case here can earn: no cap under 2 s or above 60 s, no connection up 30 s before a retry, no server that asks
 * to wait (close 1013, Retry-After; the SSE backend's retry: is followed).
 */
const NEVER_HERE = ['backoff-cap-too-low', 'backoff-cap-too-high', 'backoff-no-reset', 'retry-sooner-than-asked'];

/** Judge one case's report against its expectation (every mismatch reported, not only the first). */
function judgeCase(expect: ExpectStatic, c: MatrixCase, r: CaseResult): void {
  const context = `${c.id}: ${c.expectation.why}\n  ${describeRun(r)}`;
  expect(r.judged, `no channel on ${c.client.channel}: ${r.report.channels.map((ch) => `${ch.kind} ${ch.url}`).join('; ')}`).not.toBeNull();
  const judged = r.judged!;
  expect.soft(c.client.kinds, context).toContain(judged.kind);
  expect.soft(r.gates.code, `audit --assert gates\n  ${context}`).toBe(0);
  const e = c.expectation;
  const codes = e.verdict === 'fit' ? judged.findings.map((f) => f.code) : r.channels.flatMap((ch) => ch.findings.map((f) => f.code));
  for (const code of e.findings.present) expect.soft(codes, context).toContain(code);
  for (const code of [...e.findings.absent, ...NEVER_HERE]) expect.soft(codes, context).not.toContain(code);
  if (e.verdict === 'none') {
    for (const ch of r.channels) expect.soft(undecided(ch), `no verdict expected on ${ch.kind} ${ch.url}\n  ${context}`).toBe(true);
    within(expect, r.channels.reduce((n, ch) => n + ch.reconnects.length, 0), e.reconnects, `reconnects\n  ${context}\n `);
    return;
  }
  expect.soft(judged.reconnects.length, context).toBeGreaterThanOrEqual(e.minReconnects);
  if (e.orNoVerdict && undecided(judged)) return;
  const backoff = judged.backoff;
  expect.soft(backoff, context).not.toBeNull();
  if (!backoff) return;
  expect.soft(backoff.model, context).toBe(e.model);
  // A report that says its initial delay is rough (a fit resting on two delays, one late one
  // left out as a stall: socket.io's 667, 1183, 4351 ms) is not held to the library's range.
  if (!backoff.confidenceReason?.includes('initial delay and factor are rough')) within(expect, backoff.initialMs, e.initialMs, `initialMs\n  ${context}\n `);
  const shown = r.evidence;
  // Growth shows over three growing attempts under the cap; two jittered ones fit any factor, and a draw
  // below the one before (socket.io's 0.56, 2.9, 2.2 s) leaves it to the fit's choice of points.
  // Three jittered draws (±50%) can still fit a factor of 4 (559, 2351, 3064 ms); the report then says
  // its confidence is medium, and only a high-confidence factor, or one the report calls exact (no
  // jitter, shown: `deterministic`), is held to the library's range. A medium fit that merely saw no
  // jitter (567, 1117, 4733 ms read ×4.2, range ×2.06-4.2, "factor rough") claims neither.
  if (e.factor && backoff.model === 'exponential' && shown.growing >= 3 && (backoff.confidence === 'high' || backoff.deterministic)) within(expect, backoff.factor, e.factor, `factor\n  ${context}\n `);
  if (e.resetRules) expect.soft(e.resetRules, `resetRule ${backoff.resetRule}\n  ${context}`).toContain(backoff.resetRule);
  if (e.model !== 'fixed') {
    const cap: [number, number] = e.capMs === null ? [0, 0] : [Math.round(e.capMs * 0.9), Math.round(e.capMs * 1.1 + 250)];
    if (e.capMs === null) expect.soft(backoff.maxMs, `no cap expected\n  ${context}`).toBeNull();
    else if (shown.atCap >= 2) {
      expect.soft(backoff.maxMs, `cap ${e.capMs} reached ${shown.atCap} times\n  ${context}`).not.toBeNull();
      if (backoff.maxMs !== null) within(expect, backoff.maxMs, cap, `maxMs\n  ${context}\n `);
    } else if (shown.atCap === 0 && shown.underCap.length > 0) expect.soft(backoff.maxMs, `cap ${e.capMs} never reached\n  ${context}`).toBeNull();
    else if (backoff.maxMs !== null) within(expect, backoff.maxMs, cap, `maxMs\n  ${context}\n `);
  }
  // A library that clamps after its jitter never spreads at the cap, whatever a run shows of it.
  if (e.jitterAtCap === false) expect.soft(backoff.jitterAtCap, `jitterAtCap\n  ${context}`).not.toBe(true);
  // Jitter, where the run's own delays show it (or its absence). Where they cannot tell, the report may leave
  // it open, but not claim the opposite: `audit --assert jitter=<opposite>` must not pass.
  if (shown.jitter === null) {
    const opposite = checkAssertion(r.report, parseAssertion(`jitter=${!e.jitter}@${c.client.channel}`));
    expect.soft(opposite.ok, `--assert ${opposite.spec} passes on delays that cannot show it\n  ${opposite.details.join('\n  ')}\n  ${context}`).toBe(false);
    if (e.jitter) expect.soft(codes, `a randomised client called deterministic\n  ${context}`).not.toContain('backoff-without-jitter');
    return;
  }
  // Delays of a randomised client that happen to look deterministic (or the reverse) may be read either way.
  if (shown.jitter !== e.jitter) return;
  expect.soft(backoff.jitter, `jitter\n  ${context}`).toBe(e.jitter);
  if (!e.jitter) {
    if (e.model !== 'fixed' && shown.growing >= 3) expect.soft(codes, `deterministic growth\n  ${context}`).toContain('backoff-without-jitter');
    return;
  }
  expect.soft(codes, context).not.toContain('backoff-without-jitter');
  if (e.jitterKinds) expect.soft(e.jitterKinds, `jitterKind ${backoff.jitterKind}\n  ${context}`).toContain(backoff.jitterKind);
  if (e.jitterAtCap === false && shown.atCap >= 3) {
    expect.soft(backoff.jitterAtCap, `${shown.atCap} delays at the cap, all equal\n  ${context}`).toBe(false);
    expect.soft(codes, context).toContain('backoff-jitter-lost-at-cap');
  }
}

/** The panel on the audited tab: its report's verdict, and what its channel detail shows. */
async function judgePanel(expect: ExpectStatic, c: MatrixCase, r: CaseResult): Promise<void> {
  const panel = r.panel!;
  const shown = channelsOf(r.panelReport!, c.client)[0];
  const context = `${c.id}: panel ${JSON.stringify(shown?.backoff)} vs audit ${JSON.stringify(r.judged?.backoff)}`;
  expect(shown, context).toBeDefined();
  expect.soft(shown!.kind, context).toBe(r.judged!.kind);
  expect.soft(shown!.reconnects.map((x) => Math.round(x.delayMs)), context).toEqual(r.judged!.reconnects.map((x) => Math.round(x.delayMs)));
  // The fields docs/report-format.md documents (the panel runs the built core, the audit the source: a field
  // being added to one is not a different verdict).
  const verdictOf = (b: Backoff | null) => b && { model: b.model, initialMs: b.initialMs, factor: b.factor, maxMs: b.maxMs, jitter: b.jitter, delaysMs: b.delaysMs };
  expect.soft(verdictOf(shown!.backoff), context).toEqual(verdictOf(r.judged!.backoff));
  const backoffCodes = (ch: ChannelReport) => ch.findings.map((f) => f.code).filter((code) => /backoff|jitter|cap|reconnect/.test(code)).sort();
  expect.soft(backoffCodes(shown!), context).toEqual(backoffCodes(r.judged!));
  // What a user reads: the channel's detail, Charts tab, the backoff chart: its caption words the audit's verdict, its points are the delays.
  await panel.locator(`.overview-table tbody tr[data-channel="${shown!.id}"]`).dblclick();
  await panel.waitForSelector('.detail');
  await panel.locator('[data-tab="charts"]').click();
  const chart = panel.locator('[data-chart="backoff"]');
  const caption = (await chart.locator('figcaption').textContent({ timeout: 20_000 })) ?? '';
  const backoff = r.judged!.backoff;
  if (backoff) expect.soft(caption, context).toContain(describeBackoffShape(backoff));
  expect.soft(Number(await chart.getAttribute('data-points')), context).toBe(r.judged!.reconnects.length);
  // Charts publish their data from an effect, after the tab's first paint.
  await panel.waitForFunction(() => !!(globalThis as unknown as { __riPanel: { charts: Record<string, unknown> } }).__riPanel.charts['backoff']);
  const plotted = await panel.evaluate(() => {
    const data = (globalThis as unknown as { __riPanel: { charts: Record<string, { observedMs?: ArrayLike<number> }> } }).__riPanel.charts['backoff'];
    return Array.from(data?.observedMs ?? [], (ms) => Math.round(ms));
  });
  const byValue = (a: number, b: number) => a - b;
  expect.soft(plotted.sort(byValue), context).toEqual(r.judged!.reconnects.map((x) => Math.round(x.delayMs)).sort(byValue));
}

describe('backoff matrix: each client, each failure mode, against its documented model', { timeout: RECORD_MS + 120_000 }, () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ri-matrix-'));
    session = await launchInspector();
    // Panel pages exist before the audited tabs: the session finds a new tab's id as the one tab that appeared.
    for (const id of PANEL_CASES) {
      const panel = await session.context.newPage();
      panel.setDefaultTimeout(60_000);
      await panel.setViewportSize({ width: 1280, height: 800 });
      panels.set(id, panel);
    }
    for (const c of CASES) results.set(c.id, runCase(c).catch((error: Error) => error));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(results.values());
    await session?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    process.stdout.write(`backoff matrix: ${CASES.length} cases in ${Math.round((Date.now() - started) / 1000)} s\n`);
  });

  it('reads the models from the library versions installed', ({ expect }) => {
    for (const client of MATRIX_CLIENTS) {
      if (!client.library) continue;
      const version = packageVersion(client.library.name);
      expect(version, `${client.id}: the model was read in ${client.library.name} ${client.library.version}; read it again`).toBe(client.library.version);
    }
  });

  // A case is one draw of a randomised client on a real, loaded machine: a verdict wrong on one draw
  // is run again from scratch (a fresh page, server and outage) once; wrong on both, it fails.
  it.concurrent.for(CASES)('$id', { retry: 1 }, async (c, { expect, task }) => {
    const rerun = (task.result?.retryCount ?? 0) > 0;
    const r = rerun ? await runCase(c, false).catch((error: Error) => error) : await results.get(c.id)!;
    if (r instanceof Error) throw r;
    judgeCase(expect, c, r);
  });

  it.concurrent.for(CASES.filter((c) => PANEL_CASES.includes(c.id)))('the panel shows the verdict of $id', async (c, { expect }) => {
    const r = await results.get(c.id)!;
    if (r instanceof Error) throw r;
    await judgePanel(expect, c, r);
  });
});
