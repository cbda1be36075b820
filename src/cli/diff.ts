/**
 * `realtime-inspector diff <before> <after> [--json] [--html FILE] [--budget FILE]`: what changed
 * between two runs of a page, per channel matched across them, and optionally whether it stays
 * within a regression budget. Also the baseline gate of `audit --baseline/--budget`.
 * A thin shell over src/core/diff: inputs are reports (`audit --json`, `analyze --json`) or
 * captures and HARs, which are analysed first.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  analyzeCapture,
  BudgetError,
  CaptureFormatError,
  checkBudget,
  DEFAULT_BUDGET,
  diffReports,
  formatDiffText,
  importCaptureOrHar,
  looksLikeReport,
  parseBudget,
  parseReport,
  renderDiffHtml,
  ReportInputError,
  type Budget,
  type Report,
} from '../core/index.ts';
import type { BudgetGate } from './audit-runs.ts';

export const DIFF_USAGE = `Usage: realtime-inspector diff <before> <after> [--json] [--html FILE] [--budget FILE]

  <before> <after>  report JSON (audit --json, analyze --json) or a capture / HAR file
                    (analysed first); channels are matched across the two even when
                    session ids, tokens and cache-busters in their URLs differ
  --json            print the diff as JSON instead of text
  --html FILE       also write the diff as a self-contained HTML page
  --budget FILE     judge the change against a regression budget (README, "Baselines
                    and diff"); exit 1 on a breach

Exit codes: 0 done (and within budget), 1 budget breached, 2 usage error or unreadable input.`;


/** A file the user named cannot be used: the message says which and why. */
export class DiffInputError extends Error {
  override name = 'DiffInputError';
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DiffInputError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? (error as Error).message})`);
  }
}

/** Read a report JSON, or a capture / HAR and analyse it; DiffInputError when it is neither. */
export async function loadReportFile(file: string): Promise<Report> {
  const text = await readText(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DiffInputError(`${file}: not JSON (${(error as Error).message})`);
  }
  try {
    if (looksLikeReport(json)) return parseReport(json);
    const imported = importCaptureOrHar(text);
    const report = analyzeCapture(imported.events);
    if (report.page.url === '' && imported.page.url !== '') report.page = imported.page;
    return report;
  } catch (error) {
    if (error instanceof ReportInputError || error instanceof CaptureFormatError) throw new DiffInputError(`${file}: ${error.message}`);
    throw error;
  }
}

/** Read and validate a budget file. */
export async function loadBudgetFile(file: string): Promise<Budget> {
  const text = await readText(file);
  try {
    return parseBudget(JSON.parse(text));
  } catch (error) {
    if (error instanceof BudgetError) throw new DiffInputError(`${file}: invalid budget:\n  ${error.message.split('\n').join('\n  ')}`);
    if (error instanceof SyntaxError) throw new DiffInputError(`${file}: not JSON (${error.message})`);
    throw error;
  }
}

/**
 * `audit --baseline`'s gate (a gate of the run judging, src/cli/audit-runs.ts): loaded
 * before the browser starts, so a bad file fails at once; null without a baseline.
 */
export async function loadBaselineGate(options: { baseline: string | null; budget: string | null }): Promise<BudgetGate | null> {
  if (options.baseline === null) return null;
  const [baseline, budget] = await Promise.all([loadReportFile(options.baseline), options.budget ? loadBudgetFile(options.budget) : DEFAULT_BUDGET]);
  return {
    source: `${options.budget ?? 'default budget'} against ${options.baseline}`,
    breaches: (report) => checkBudget(diffReports(baseline, report), budget).map((b) => `${b.kind} ${b.channel}: ${b.message}`),
  };
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  html: { type: 'string' },
  budget: { type: 'string' },
} as const;

/** Run the diff command; resolves with the exit code. */
export async function diffCommand(argv: string[]): Promise<number> {
  const fail = (message: string) => {
    process.stderr.write(`realtime-inspector diff: ${message}\n`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${DIFF_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${DIFF_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 2) return fail(`expected two files (before and after), got ${positionals.length}\n\n${DIFF_USAGE}`);
  const [beforeFile, afterFile] = positionals as [string, string];
  try {
    const [before, after, budget] = await Promise.all([
      loadReportFile(beforeFile),
      loadReportFile(afterFile),
      values.budget ? loadBudgetFile(values.budget) : null,
    ]);
    const diff = diffReports(before, after);
    const verdict = budget && values.budget ? { breaches: checkBudget(diff, budget), source: values.budget } : undefined;
    if (values.html) await writeFile(values.html, renderDiffHtml(diff, verdict));
    process.stdout.write(values.json ? `${JSON.stringify(verdict ? { ...diff, budget: verdict } : diff, null, 2)}\n` : formatDiffText(diff, verdict));
    return verdict && verdict.breaches.length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof DiffInputError) return fail(error.message);
    throw error;
  }
}
