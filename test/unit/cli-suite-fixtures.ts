/** Reports and suite results for the tests of `audit`'s suite outputs (config, runs, JUnit, Markdown, annotations). */
import { parseAssertion, type AuditOptions } from '../../src/cli/audit-args.ts';
import { judgeRuns, type RunInput } from '../../src/cli/audit-runs.ts';
import type { PageResult, SuiteResult } from '../../src/cli/audit-suite.ts';
import type { Judge } from '../../src/cli/audit-suite-args.ts';
import type { ChannelReport, Finding, Report } from '../../src/core/report-types.ts';
import { channelReport } from './core-builders.ts';

/** A channel with every field present, as the core writes it (a JSON WebSocket of the lab unless `over` says otherwise). */
export function channel(over: Partial<ChannelReport>): ChannelReport {
  return channelReport({
    url: 'ws://lab/ws/heartbeat',
    sampleUrl: 'ws://lab/ws/heartbeat',
    protocol: 'json',
    messages: { in: 10, out: 2 },
    bytes: { in: 100, out: 20 },
    ...over,
  });
}

/** A WebSocket channel with a heartbeat every `intervalMs`. */
export function heartbeatChannel(intervalMs: number | null, over: Partial<ChannelReport> = {}): ChannelReport {
  return channel({ heartbeat: { intervalMs, direction: 'client', jitterMs: 0, maxIdleMs: intervalMs ?? 60_000, source: 'pattern' }, ...over });
}

export function finding(code: string, severity: Finding['severity'], message = `${code} raised`): Finding {
  return { code, severity, message, evidence: {}, advice: 'fix it' };
}

/** A report of these channels, its summary counted from them. */
export function report(channels: ChannelReport[], url = 'http://lab/pages/websocket.html'): Report {
  const findings = { error: 0, warning: 0, info: 0 };
  for (const c of channels) for (const f of c.findings) findings[f.severity]++;
  return {
    version: 1,
    page: { url, title: 'lab' },
    capturedAt: '2026-12-06T10:00:00.000Z',
    durationMs: 20_000,
    channels,
    summary: { channels: channels.length, requests: 0, wasted: 0, wastedBytes: 0, messages: 0, users: 1000, projectedRequestsPerSecond: 0, findings, droppedEvents: 0 },
  };
}

export function ok(r: Report): RunInput {
  return { report: r, error: null, pageErrors: [], faultErrors: [] };
}

export function failedRun(message: string, exitCode: number): RunInput {
  return { report: null, error: { message, exitCode }, pageErrors: [], faultErrors: [] };
}

/** Options with these --assert rules and --fail-on level. */
export function gates(asserts: string[], failOn: AuditOptions['failOn'] = null): Pick<AuditOptions, 'asserts' | 'failOn'> {
  return { asserts: asserts.map(parseAssertion), failOn };
}

/** A page result as runSuite makes it, from runs judged with the real judge. */
export function pageResult(name: string, url: string, runs: RunInput[], options: Pick<AuditOptions, 'asserts' | 'failOn'>, judge: Judge = 'median'): PageResult {
  const verdict = judgeRuns(runs, options, judge);
  const report = verdict.representative === null ? null : runs[verdict.representative]!.report;
  return { name, url, verdict, report, files: report ? { json: `out/${name}.json`, html: `out/${name}.html` } : { json: null, html: null } };
}

export function suiteResult(pages: PageResult[], judge: Judge = 'median'): SuiteResult {
  const failed = pages.find((p) => p.verdict.error);
  const code = failed ? failed.verdict.code : pages.reduce((c, p) => c | p.verdict.code, 0);
  return { judge, runs: pages[0]?.verdict.runs.length ?? 1, pages, code };
}
