/**
 * `realtime-inspector audit <url>` or `audit --config pages.json`: record live pages in
 * headless Chromium with the built extension, break their connections on purpose, print
 * the reports, write JSON/HTML and the CI outputs (JUnit, GitHub annotations, Markdown),
 * and exit non-zero when a gate fails (see AUDIT_USAGE for the codes).
 */
import { appendFile, readFile } from 'node:fs/promises';
import { AUDIT_USAGE, UsageError, rawFromArgv, type AuditOptions } from './audit-args.ts';
import { resolveSuite, type AuditSuite } from './audit-config.ts';
import { CliError, EXIT } from './audit-exit.ts';
import { githubAnnotations } from './audit-github.ts';
import { junitXml } from './audit-junit.ts';
import { markdownSummary } from './audit-markdown.ts';
import type { AuditProgress } from './audit-run.ts';
import type { SuiteResult } from './audit-suite.ts';
import { gateLines, runDoneLines, startLine, suiteText } from './audit-text.ts';

/** Parse argv (and the --config file) into a suite: one page from the command line, or a config's pages. */
export async function readAuditSuite(argv: string[]): Promise<AuditSuite | 'help'> {
  const { raw, suite, config, help } = rawFromArgv(argv);
  if (help) return 'help';
  if (config === null) return resolveSuite(raw, suite, null);
  let text: string;
  try {
    text = await readFile(config, 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${config}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${config}: not JSON (${(error as Error).message})`);
  }
  return resolveSuite(raw, suite, { json, file: config });
}

/** Parse argv (and the --config file) into the options of one page. */
export async function readAuditOptions(argv: string[]): Promise<AuditOptions | 'help'> {
  const suite = await readAuditSuite(argv);
  if (suite === 'help') return 'help';
  if (suite.multi) throw new UsageError('expected one page, got a config with "pages"');
  return suite.pages[0]!.options;
}

/** The progress line: time left, channels and events so far, faults applied. */
export function progressLine(p: AuditProgress): string {
  const left = Math.max(0, Math.ceil((p.durationMs - p.elapsedMs) / 1000));
  const faults = p.applied.length ? ` · faults: ${p.applied.join(', ')}` : '';
  return `recording… ${left}s left · ${p.channels} channel${p.channels === 1 ? '' : 's'} · ${p.events} events${faults}`;
}

/** Run the command; resolves with the process exit code. */
export async function auditCommand(argv: string[]): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let parsed: AuditSuite | 'help';
  try {
    parsed = await readAuditSuite(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`realtime-inspector audit: ${error.message}`);
    err('Run `realtime-inspector audit --help` for the options.');
    return EXIT.usage;
  }
  if (parsed === 'help') {
    process.stdout.write(`${AUDIT_USAGE}\n`);
    return EXIT.ok;
  }
  const suite = parsed;
  // Baselines and budgets are read before the browser starts: a bad file is a usage error.
  const { loadBaselineGate } = await import('./diff.ts');
  const gates = await Promise.all(suite.pages.map(async (p) => [p.name, await loadBaselineGate(p.options)] as const)).catch((error: Error) => error);
  if (gates instanceof Error) {
    err(`realtime-inspector audit: ${gates.message}`);
    return EXIT.usage;
  }
  const single = !suite.multi && suite.runs === 1;
  const tty = process.stderr.isTTY === true;
  let lastPrinted = 0;
  const onProgress = (p: AuditProgress) => {
    const line = progressLine(p);
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (p.elapsedMs - lastPrinted >= 5000 || lastPrinted === 0) {
      lastPrinted = Math.max(1, p.elapsedMs);
      err(line);
    }
  };

  // The browser driver and the core load only once the options are known to be good.
  const [{ launchInspector }, { runSuite, writePageReports, writeOutput, summaryJson }, { formatSummary }] = await Promise.all([
    import('./browser.ts'),
    import('./audit-suite.ts'),
    import('./analyze.ts'),
  ]);
  let session;
  let result: SuiteResult;
  try {
    session = await launchInspector({ workers: suite.pages.some((p) => p.options.workers) });
    result = await runSuite(session, suite, {
      onRunStart: (page, run) => err(startLine(suite, page, run)),
      onRunDone: (page, run, outcome) => {
        if (tty && !suite.multi) process.stderr.write('\r\x1b[2K');
        for (const line of runDoneLines(suite, page, run, outcome)) err(line);
      },
      // Several tabs at once would interleave their progress lines: only a single page shows them.
      onProgress: single ? (_page, p) => onProgress(p) : undefined,
      budgets: new Map(gates),
    });
  } catch (error) {
    if (tty) process.stderr.write('\r\x1b[2K');
    if (error instanceof CliError) {
      err(`realtime-inspector audit: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  } finally {
    await session?.close();
  }

  // One page audited once reads as it always has: its error, or its report and gates.
  // `--json -` prints the report that stands for the page, however many runs made it.
  const first = result.pages[0]!;
  if (!suite.multi && suite.pages[0]!.options.printJson && first.report) {
    process.stdout.write(`${JSON.stringify(first.report, null, 2)}\n`);
  } else if (single) {
    if (first.verdict.error) err(`realtime-inspector audit: ${first.verdict.error.message}`);
    else process.stdout.write(formatSummary(first.report!));
  } else {
    process.stdout.write(suiteText(result));
  }
  for (const file of await writePageReports(result)) err(`${file.endsWith('.html') ? 'HTML report' : 'report JSON'} written to ${file}`);
  // The --baseline budget is one of the gates: printed, in the exit code and in JUnit, Markdown and annotations like the others.
  for (const line of gateLines(result)) err(line);
  const code = result.code;
  if (suite.outDir) {
    const file = `${suite.outDir}/summary.json`;
    await writeOutput(file, summaryJson(result));
    err(`summary written to ${file}`);
  }
  await writeCiOutputs(result, suite, err, writeOutput);
  return code;
}

/** JUnit, Markdown (to a file and $GITHUB_STEP_SUMMARY) and the GitHub annotations. */
async function writeCiOutputs(result: SuiteResult, suite: AuditSuite, err: (line: string) => void, writeOutput: (path: string, text: string) => Promise<void>): Promise<void> {
  if (suite.junit) {
    await writeOutput(suite.junit, junitXml(result));
    err(`JUnit XML written to ${suite.junit}`);
  }
  const markdown = markdownSummary(result);
  if (suite.markdown) {
    await writeOutput(suite.markdown, markdown);
    err(`Markdown summary written to ${suite.markdown}`);
  }
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    await appendFile(stepSummary, markdown).then(
      () => err(`Markdown summary appended to $GITHUB_STEP_SUMMARY (${stepSummary})`),
      (error: unknown) => err(`warning: could not append to $GITHUB_STEP_SUMMARY (${stepSummary}): ${(error as Error).message}`),
    );
  }
  if (process.env.GITHUB_ACTIONS === 'true') for (const line of githubAnnotations(result)) process.stdout.write(`${line}\n`);
}
