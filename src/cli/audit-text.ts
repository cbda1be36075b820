/**
 * What `audit` prints on the terminal for a suite: a line as each run starts and ends,
 * the gates (as the single-page audit always printed them, prefixed with the page when
 * there are several), and for several pages or runs a table and how the runs differed.
 */
import { Redactor } from '../core/index.ts';
import type { AuditSuite, SuitePage } from './audit-config.ts';
import { describeGate, describeSpread, type RunInput } from './audit-runs.ts';
import type { SuiteResult } from './audit-suite.ts';

function isSingle(suite: AuditSuite): boolean {
  return !suite.multi && suite.runs === 1;
}

function label(suite: AuditSuite, page: SuitePage, run: number): string {
  const runs = suite.runs > 1 ? ` run ${run}/${suite.runs}` : '';
  return suite.multi ? `[${page.name}${runs}] ` : runs ? `[run ${run}/${suite.runs}] ` : '';
}

/** The line printed when a run starts (the URL redacted by the rules with --redact: no capture has been seen yet). */
export function startLine(suite: AuditSuite, page: SuitePage, run: number): string {
  const o = page.options;
  const faults = o.faults.length ? ` with ${o.faults.map((f) => f.spec).join(', ')}` : '';
  const url = o.redact ? new Redactor().text(o.url) : o.url;
  return `${label(suite, page, run)}auditing ${url} for ${o.durationMs / 1000}s${faults}`;
}

/** The lines printed when a run ends: faults not applied, page errors, and for a suite the run's outcome (redacted by the rules with --redact). */
export function runDoneLines(suite: AuditSuite, page: SuitePage, run: number, outcome: RunInput): string[] {
  const lines = outcomeLines(suite, page, run, outcome);
  if (!page.options.redact) return lines;
  const redactor = new Redactor();
  return lines.map((line) => redactor.text(line));
}

function outcomeLines(suite: AuditSuite, page: SuitePage, run: number, outcome: RunInput): string[] {
  const prefix = label(suite, page, run);
  const lines = outcome.faultErrors.map((e) => `${prefix}warning: fault not applied: ${e}`);
  if (outcome.pageErrors.length) lines.push(`${prefix}note: the page threw ${outcome.pageErrors.length} uncaught error(s), first: ${outcome.pageErrors[0]}`);
  if (isSingle(suite)) return lines;
  if (outcome.error) lines.push(`${prefix}not audited: ${outcome.error.message}`);
  else if (outcome.report) {
    const s = outcome.report.summary;
    lines.push(`${prefix}recorded ${s.channels} channel${s.channels === 1 ? '' : 's'}, findings: ${s.findings.error} error, ${s.findings.warning} warning`);
  }
  return lines;
}

/** The gate lines of every page: `PASS|FAIL <rule>` and the details, indented. */
export function gateLines(result: SuiteResult): string[] {
  const several = result.pages.length > 1;
  const lines: string[] = [];
  for (const page of result.pages) {
    const prefix = several ? `[${page.name}] ` : '';
    if (page.verdict.error) {
      if (several || result.runs > 1) lines.push(`${prefix}FAIL not audited (exit ${page.verdict.error.exitCode}): ${page.verdict.error.message}`);
      continue;
    }
    for (const gate of page.verdict.gates) {
      const { headline, details } = describeGate(gate, result.judge);
      lines.push(`${prefix}${gate.ok ? 'PASS' : 'FAIL'} ${headline}`, ...details.map((d) => `${' '.repeat(prefix.length)}     ${d}`));
    }
  }
  return lines;
}

/** The stdout of a suite of several pages or runs: per page its outcome, the run that stands for it, how the runs differed; then a table. */
export function suiteText(result: SuiteResult): string {
  const out: string[] = [];
  for (const page of result.pages) {
    const v = page.verdict;
    out.push(`━━ ${page.name}: ${page.url}`);
    if (v.error) {
      out.push(`not audited: ${v.error.message}`, '');
      continue;
    }
    const s = page.report!.summary;
    const rep = result.runs > 1 ? ` (report of run ${v.representative! + 1}, the ${result.judge} of ${result.runs})` : '';
    out.push(`${s.channels} channel${s.channels === 1 ? '' : 's'}, ${s.requests} requests, ${s.messages} messages; findings: ${s.findings.error} error, ${s.findings.warning} warning${rep}`);
    for (const c of page.report!.channels.filter((c) => c.kind !== 'one-off')) out.push(`  [${c.kind}] ${c.protocol ?? '?'}  ${c.url}`);
    const spread = describeSpread(v.channels, v.runs.length);
    if (spread.length) out.push('How the runs differed:', ...spread.map((l) => `  ${l}`));
    else if (result.runs > 1) out.push(`The ${result.runs} runs agreed on every channel and metric.`);
    out.push('');
  }
  const width = Math.max(4, ...result.pages.map((p) => p.name.length));
  out.push(`${'page'.padEnd(width)}  result  rules  report`);
  for (const page of result.pages) {
    const v = page.verdict;
    const result_ = v.error ? `error ${v.error.exitCode}` : v.code === 0 ? 'pass' : 'FAIL';
    const rules = v.error ? '—' : `${v.gates.filter((g) => g.ok).length}/${v.gates.length}`;
    out.push(`${page.name.padEnd(width)}  ${result_.padEnd(6)}  ${rules.padEnd(5)}  ${page.files.html ?? page.files.json ?? '—'}`);
  }
  return `${out.join('\n')}\n`;
}
