/**
 * The Markdown summary of an audit suite (`audit --markdown FILE`, and appended to
 * $GITHUB_STEP_SUMMARY): a table of pages, then for each page that failed or was flaky its
 * gates and how its runs differed. GitHub-flavoured Markdown; page data is escaped so that
 * a URL or a finding message can neither break the table nor inject markup.
 */
import { describeGate, describeSpread, type GateVerdict } from './audit-runs.ts';
import type { PageResult, SuiteResult } from './audit-suite.ts';

/**
 * Text that renders as itself anywhere inline, table cells included: line breaks as
 * spaces, `&`, `<`, `>` as entities (no raw HTML, no autolink brackets), and the ASCII
 * punctuation that starts Markdown inline syntax or a GFM table cell backslash-escaped
 * (CommonMark 0.31 §2.4: any ASCII punctuation may be).
 */
export function mdText(value: string): string {
  return value
    .replace(/\r\n?|\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]()!|~#]/g, '\\$&');
}

/** Inline code look for a rule or a path, with the text escaped as mdText does. */
function code(value: string): string {
  return `<code>${mdText(value)}</code>`;
}

const PASS = '✅';
const FAIL = '❌';
const FLAKY = '⚠️';

function gateIcon(gate: GateVerdict): string {
  return !gate.ok ? FAIL : gate.passes < gate.perRun.length ? FLAKY : PASS;
}

function pageIcon(page: PageResult): string {
  if (page.verdict.code !== 0) return FAIL;
  return page.verdict.gates.some((g) => g.passes < g.perRun.length) ? FLAKY : PASS;
}

function pageRow(page: PageResult): string {
  const v = page.verdict;
  const passed = v.gates.filter((g) => g.ok).length;
  const result = v.error ? `${FAIL} not audited (exit ${v.error.exitCode})` : `${pageIcon(page)} ${v.code === 0 ? 'pass' : 'fail'}`;
  const rules = v.error ? '—' : `${passed}/${v.gates.length}`;
  const findings = page.report ? `${page.report.summary.findings.error} error · ${page.report.summary.findings.warning} warning` : '—';
  const report = page.files.html ?? page.files.json;
  return `| ${mdText(page.name)} | ${result} | ${rules} | ${findings} | ${report ? code(report) : '—'} |`;
}

function pageSection(page: PageResult, result: SuiteResult): string[] {
  const v = page.verdict;
  const lines = [`#### ${pageIcon(page)} ${mdText(page.name)}`, '', mdText(page.url), ''];
  if (v.error) return [...lines, `Not audited: ${mdText(v.error.message)}`, ''];
  for (const gate of v.gates) {
    const { headline, details } = describeGate(gate, result.judge);
    lines.push(`- ${gateIcon(gate)} ${code(headline)}`);
    if (!gate.ok || gate.passes < gate.perRun.length) for (const d of details) lines.push(`  - ${mdText(d)}`);
  }
  const spread = describeSpread(v.channels, v.runs.length);
  if (spread.length) {
    lines.push('', '<details><summary>How the runs differed</summary>', '');
    for (const s of spread) lines.push(`- ${mdText(s)}`);
    lines.push('', '</details>');
  }
  lines.push('');
  return lines;
}

/** The summary as Markdown. */
export function markdownSummary(result: SuiteResult): string {
  const failed = result.pages.filter((p) => p.verdict.code !== 0).length;
  const total = result.pages.length;
  const head = failed ? `${FAIL} ${failed} of ${total} page${total === 1 ? '' : 's'} failed` : `${PASS} ${total} page${total === 1 ? '' : 's'} passed`;
  const judged =
    result.runs > 1
      ? `Each page was audited ${result.runs} times and judged by the ${result.judge === 'median' ? 'median (a rule passes when it passes in more than half the runs)' : 'worst run (a rule passes only when it passes in every run)'}.`
      : 'Each page was audited once.';
  const lines = [
    `### Realtime Inspector audit: ${head}`,
    '',
    judged,
    '',
    '| Page | Result | Rules passed | Findings | Report |',
    '| --- | --- | --- | --- | --- |',
    ...result.pages.map(pageRow),
    '',
  ];
  const shown = result.pages.filter((p) => pageIcon(p) !== PASS);
  for (const page of shown) lines.push(...pageSection(page, result));
  return `${lines.join('\n')}\n`;
}
