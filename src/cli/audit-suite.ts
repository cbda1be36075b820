/**
 * Run an audit suite: every page of it, `runs` times, in tabs of one browser, at most
 * `parallel` at once; then judge each page's runs together (audit-runs.ts) and write
 * its report files. The outputs CI systems read are written from the result by
 * audit-junit.ts, audit-github.ts and audit-markdown.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Redactor, renderHtmlReport, type Report } from '../core/index.ts';
import type { AuditOptions } from './audit-args.ts';
import type { AuditSuite, SuitePage } from './audit-config.ts';
import { CliError, EXIT } from './audit-exit.ts';
import { auditPage, type AuditProgress, type AuditRun } from './audit-run.ts';
import { judgeRuns, type BudgetGate, type PageVerdict, type RunInput } from './audit-runs.ts';
import type { Judge } from './audit-suite-args.ts';
import { firstLine, type InspectorSession } from './browser.ts';

export interface PageResult {
  name: string;
  url: string;
  verdict: PageVerdict;
  /** The representative run's report (redacted when asked), null when no run made one. */
  report: Report | null;
  /** Files written for the page. */
  files: { json: string | null; html: string | null };
}

export interface SuiteResult {
  judge: Judge;
  runs: number;
  pages: PageResult[];
  /** The process exit code: a page's error code when one could not be audited, else the OR of the gate bits. */
  code: number;
}

export interface SuiteHooks {
  /** A run begins (page, 1-based run number). */
  onRunStart?(page: SuitePage, run: number): void;
  /** A run ended with this outcome. */
  onRunDone?(page: SuitePage, run: number, outcome: RunInput): void;
  /** Recording progress of a run (as the single-page audit prints it). */
  onProgress?(page: SuitePage, progress: AuditProgress): void;
  /** `--baseline` gates by page name (src/cli/diff.ts loadBaselineGate), judged with the other gates. */
  budgets?: ReadonlyMap<string, BudgetGate | null>;
}

interface Job {
  page: number;
  run: number;
}

/**
 * Jobs in rounds (every page's first run, then every page's second…), so that the runs of a
 * page are spread over the suite's time rather than made back to back under the same load.
 */
function jobOrder(pages: number, runs: number): Job[] {
  const jobs: Job[] = [];
  for (let run = 0; run < runs; run++) for (let page = 0; page < pages; page++) jobs.push({ page, run });
  return jobs;
}

/** Run one audit; a failure becomes the run's error (the suite goes on with the other pages). */
async function runOnce(session: InspectorSession, options: AuditOptions, onProgress?: (p: AuditProgress) => void): Promise<{ input: RunInput; run: AuditRun | null }> {
  try {
    const run = await auditPage(session, options, onProgress);
    return { input: { report: run.report, error: null, pageErrors: run.pageErrors, faultErrors: run.faultErrors }, run };
  } catch (error) {
    const exitCode = error instanceof CliError ? error.exitCode : EXIT.crashed;
    return { input: { report: null, error: { message: firstLine(error), exitCode }, pageErrors: [], faultErrors: [] }, run: null };
  }
}

/** Audit every page of the suite `suite.runs` times, at most `suite.parallel` tabs at once; runs of one page never overlap. */
export async function runSuite(session: InspectorSession, suite: AuditSuite, hooks: SuiteHooks = {}): Promise<SuiteResult> {
  const queue = jobOrder(suite.pages.length, suite.runs);
  const outcomes = suite.pages.map(() => new Array<{ input: RunInput; run: AuditRun | null }>(suite.runs));
  const busy = new Set<number>();
  let released: () => void = () => {};
  let freed = new Promise<void>((resolve) => (released = resolve));
  const lane = async (): Promise<void> => {
    for (;;) {
      const index = queue.findIndex((job) => !busy.has(job.page));
      if (index < 0) {
        if (!queue.length) return;
        await freed;
        continue;
      }
      const { page, run } = queue.splice(index, 1)[0]!;
      const spec = suite.pages[page]!;
      busy.add(page);
      hooks.onRunStart?.(spec, run + 1);
      const onProgress = hooks.onProgress ? (p: AuditProgress) => hooks.onProgress!(spec, p) : undefined;
      const outcome = await runOnce(session, spec.options, onProgress);
      outcomes[page]![run] = outcome;
      hooks.onRunDone?.(spec, run + 1, outcome.input);
      busy.delete(page);
      released();
      freed = new Promise<void>((resolve) => (released = resolve));
    }
  };
  await Promise.all(Array.from({ length: Math.min(suite.parallel, queue.length) }, lane));

  const pages = suite.pages.map((page, i): PageResult => {
    const runs = outcomes[i]!;
    let verdict = judgeRuns(
      runs.map((r) => r.input),
      page.options,
      suite.judge,
      hooks.budgets?.get(page.name) ?? null,
    );
    let report = verdict.representative === null ? null : runs[verdict.representative]!.input.report;
    let url = page.options.url;
    if (page.options.redact) {
      const redactor = pageRedactor(page.options, runs.map((r) => r.run));
      verdict = redactor.value(verdict);
      report = report && redactor.value(report);
      url = redactor.text(url);
    }
    return { name: page.name, url, verdict, report, files: reportFiles(suite, page, report) };
  });
  const failed = pages.find((p) => p.verdict.error);
  const code = failed ? failed.verdict.code : pages.reduce((c, p) => c | p.verdict.code, 0);
  return { judge: suite.judge, runs: suite.runs, pages, code };
}

/** A redactor that knows every run's secrets and the credentials given on the command line. */
function pageRedactor(options: AuditOptions, runs: ReadonlyArray<AuditRun | null>): Redactor {
  const redactor = new Redactor();
  for (const run of runs) if (run) redactor.events(run.capture.events);
  for (const secret of [...Object.values(options.headers), ...options.cookies.map((c) => c.value)]) redactor.addSecret(secret);
  return redactor;
}

/** Where a page's report files go: its own json/html when given, else `<outDir>/<name>.json|html`. */
function reportFiles(suite: AuditSuite, page: SuitePage, report: Report | null): PageResult['files'] {
  if (!report) return { json: null, html: null };
  const inDir = (ext: string) => (suite.outDir ? join(suite.outDir, `${page.name}.${ext}`) : null);
  const json = page.options.json === '-' ? null : (page.options.json ?? inDir('json'));
  return { json, html: page.options.html ?? inDir('html') };
}

/** Write a file, making its folder first. */
export async function writeOutput(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/** Write every page's report JSON and HTML where PageResult.files says. */
export async function writePageReports(result: SuiteResult): Promise<string[]> {
  const written: string[] = [];
  for (const page of result.pages) {
    if (!page.report) continue;
    if (page.files.json) {
      await writeOutput(page.files.json, `${JSON.stringify(page.report, null, 2)}\n`);
      written.push(page.files.json);
    }
    if (page.files.html) {
      await writeOutput(page.files.html, renderHtmlReport(page.report));
      written.push(page.files.html);
    }
  }
  return written;
}

/** Version of summary.json's shape (documented in README "Several pages in one run"). */
export const SUMMARY_VERSION = 1;

/** The suite's summary.json: per page its verdict, runs, gates and channel spread, and its report files. */
export function summaryJson(result: SuiteResult): string {
  return `${JSON.stringify(
    {
      version: SUMMARY_VERSION,
      judge: result.judge,
      runs: result.runs,
      code: result.code,
      pages: result.pages.map((p) => ({
        name: p.name,
        url: p.url,
        ok: p.verdict.code === 0,
        code: p.verdict.code,
        error: p.verdict.error,
        files: p.files,
        representativeRun: p.verdict.representative === null ? null : p.verdict.representative + 1,
        gates: p.verdict.gates,
        runs: p.verdict.runs,
        channels: p.verdict.channels,
      })),
    },
    null,
    2,
  )}\n`;
}
