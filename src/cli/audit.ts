/**
 * `realtime-inspector audit <url>`: record a live page in headless Chromium with
 * the built extension, break its connections on purpose, print the report, write
 * JSON/HTML, and exit non-zero when a gate fails (see AUDIT_USAGE for the codes).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { AUDIT_USAGE, UsageError, rawFromArgv, rawFromConfig, resolveOptions, type AuditOptions } from './audit-args.ts';
import { CliError, EXIT } from './audit-exit.ts';
import type { AuditProgress } from './audit-run.ts';

/** Parse argv (and the --config file) into options. */
export async function readAuditOptions(argv: string[]): Promise<AuditOptions | 'help'> {
  const { raw, config, help } = rawFromArgv(argv);
  if (help) return 'help';
  if (config === null) return resolveOptions(raw);
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
  return resolveOptions(raw, rawFromConfig(json, config));
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
  let options: AuditOptions | 'help';
  try {
    options = await readAuditOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`realtime-inspector audit: ${error.message}`);
    err('Run `realtime-inspector audit --help` for the options.');
    return EXIT.usage;
  }
  if (options === 'help') {
    process.stdout.write(`${AUDIT_USAGE}\n`);
    return EXIT.ok;
  }
  const opts = options;
  // The baseline and budget are read before the browser starts: a bad file is a usage error.
  const gate = await (await import('./diff.ts')).loadBaselineGate(opts).catch((error: Error) => error);
  if (gate instanceof Error) {
    err(`realtime-inspector audit: ${gate.message}`);
    return EXIT.usage;
  }
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
  const [{ launchInspector }, { auditPage }, { judge }, { formatSummary }, { renderHtmlReport, Redactor }] = await Promise.all([
    import('./browser.ts'),
    import('./audit-run.ts'),
    import('./audit-assert.ts'),
    import('./analyze.ts'),
    import('../core/index.ts'),
  ]);
  let session;
  try {
    session = await launchInspector({ workers: opts.workers });
    err(`auditing ${opts.url} for ${opts.durationMs / 1000}s${opts.faults.length ? ` with ${opts.faults.map((f) => f.spec).join(', ')}` : ''}`);
    const run = await auditPage(session, opts, onProgress);
    if (tty) process.stderr.write('\r\x1b[2K');
    for (const e of run.faultErrors) err(`warning: fault not applied: ${e}`);
    if (run.pageErrors.length) err(`note: the page threw ${run.pageErrors.length} uncaught error(s), first: ${run.pageErrors[0]}`);

    // Assertions read the report as captured; what is printed or written is redacted when asked,
    // of what the capture's redaction finds and of the credentials given on the command line.
    const redactor = opts.redact ? new Redactor() : null;
    if (redactor) {
      redactor.events(run.capture.events);
      for (const secret of [...Object.values(opts.headers), ...opts.cookies.map((c) => c.value)]) redactor.addSecret(secret);
    }
    const report = redactor ? redactor.value(run.report) : run.report;
    if (opts.printJson) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(formatSummary(report));
    if (opts.json && opts.json !== '-') {
      await writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`);
      err(`report JSON written to ${opts.json}`);
    }
    if (opts.html) {
      await writeFile(opts.html, renderHtmlReport(report));
      err(`HTML report written to ${opts.html}`);
    }
    const verdict = judge(run.report, opts);
    const budget = gate?.check(run.report);
    for (const line of [...verdict.lines, ...(budget?.lines ?? [])]) err(redactor ? redactor.text(line) : line);
    return verdict.code | (budget?.code ?? 0);
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
}
