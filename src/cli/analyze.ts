/**
 * `realtime-inspector analyze <capture.json|file.har> [--json] [--users N] [--html out.html] [--redact]`:
 * a thin shell over the core. Reads a capture file or a HAR, prints a readable
 * summary (channels, kinds, findings, advice) or the report JSON.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { CaptureFormatError, DEFAULT_USERS, analyzeCapture, describeBackoff, describeHeartbeat, describeSkipped, describeStall, formatBytes, formatMs, importCaptureOrHar, isPolled, redactReport, renderHtmlReport } from '../core/index.ts';
import type { CaptureEvent, ChannelReport, Report } from '../core/index.ts';

export const ANALYZE_USAGE = `Usage: realtime-inspector analyze <capture.json|file.har> [--json] [--users N] [--html report.html] [--redact]

  --json        print the report JSON (docs/report-format.md) instead of the summary
  --users N     concurrent users for the load projection (default ${DEFAULT_USERS})
  --html FILE   also write a self-contained HTML report to FILE
  --redact      replace credentials (URL tokens, user-info, the page URL's, any
                secret found in the capture) in the summary, the JSON and the HTML

Exit codes: 0 analysed, 2 usage error or unreadable/malformed input.`;

/** A problem the user can fix (bad arguments, unreadable or malformed file): exit 2. */
export class InputError extends Error {}

interface AnalyzeArgs {
  file: string;
  json: boolean;
  users: number;
  html: string | null;
  redact: boolean;
}

/** A rate as a person reads it: whole above 100, one decimal above 1 (the report keeps three decimals). */
function rate(perSecond: number): string {
  if (perSecond >= 100) return String(Math.round(perSecond));
  if (perSecond >= 1) return String(Math.round(perSecond * 10) / 10);
  return String(perSecond);
}

function parseArgs(argv: readonly string[]): AnalyzeArgs | 'help' {
  let file: string | null = null;
  let json = false;
  let users = DEFAULT_USERS;
  let html: string | null = null;
  let redact = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '--json') json = true;
    else if (a === '--redact') redact = true;
    else if (a === '--users' || a.startsWith('--users=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const n = Number(v);
      if (v === undefined || !Number.isSafeInteger(n) || n < 1) throw new InputError(`--users needs a positive whole number, got ${JSON.stringify(v ?? '')}`);
      users = n;
    } else if (a === '--html' || a.startsWith('--html=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new InputError('--html needs a file name');
      html = v;
    } else if (a.startsWith('-')) throw new InputError(`unknown option ${a}`);
    else if (file === null) file = a;
    else throw new InputError(`unexpected argument ${a}`);
  }
  if (file === null) throw new InputError('missing input file');
  return { file, json, users, html, redact };
}

/** Read and parse a capture or HAR file into events; InputError when it cannot be read at all. */
export async function readEvents(file: string): Promise<{ events: CaptureEvent[]; page: { url: string; title: string }; skipped: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? (error as Error).message})`);
  }
  try {
    const imported = importCaptureOrHar(text);
    return { events: imported.events, page: imported.page, skipped: describeSkipped(imported.skipped) };
  } catch (error) {
    if (error instanceof CaptureFormatError) throw new InputError(`${file}: ${error.message}`);
    throw error;
  }
}

function pct(x: number | null): string {
  return x === null ? '—' : `${Math.round(x * 100)}%`;
}

const WORKER_KIND = { dedicated: 'a Worker', shared: 'a SharedWorker', service: 'a Service Worker' } as const;

function channelLines(c: ChannelReport): string[] {
  const lines = [`[${c.kind}] ${c.transport}${c.protocol ? ` · ${c.protocol}` : ''}  ${c.url}  (confidence ${pct(c.confidence)})`];
  if (c.origin) lines.push(`  in ${WORKER_KIND[c.origin.kind]} ${c.origin.url}`);
  lines.push(`  ${c.evidence}`);
  const facts: string[] = [];
  if (c.wasteRatio !== null) facts.push(`wasted ${c.wasted}/${c.requests} (${pct(c.wasteRatio)}, ${formatBytes(c.wastedBytes)})`);
  if (c.stalenessMs) facts.push(`staleness avg ${formatMs(c.stalenessMs.average)}, worst ${formatMs(c.stalenessMs.worst)}`);
  if (c.gapMs) facts.push(`message gap median ${formatMs(c.gapMs.median)}`);
  if (c.heartbeat) {
    const hb = c.heartbeat;
    facts.push(`heartbeat ${describeHeartbeat(hb)}`);
    facts.push(`longest idle ${formatMs(hb.maxIdleMs)}`);
  }
  if (c.reconnects.length > 0) facts.push(`${c.reconnects.length} reconnect${c.reconnects.length === 1 ? '' : 's'}`);
  if (c.backoff) facts.push(`backoff ${describeBackoff(c.backoff)}`);
  for (const s of c.stalls) facts.push(describeStall(s));
  if (c.load) facts.push(`${rate(c.load.requestsPerSecond)} ${isPolled(c.kind) ? 'req' : 'msg'}/s for ${c.load.users} users`);
  if (facts.length > 0) lines.push(`  ${facts.join(' · ')}`);
  for (const f of c.findings) {
    lines.push(`  ${f.severity.toUpperCase()} ${f.code}: ${f.message}`);
    lines.push(`    → ${f.advice}`);
  }
  if (c.advice) lines.push(`  Advice: ${c.advice}`);
  return lines;
}

/** The readable summary of a report (plain text, one block per channel). */
export function formatSummary(report: Report): string {
  const s = report.summary;
  const head = [
    `Realtime Inspector report${report.page.url ? ` for ${report.page.url}` : ''}${report.page.title ? ` (${report.page.title})` : ''}`,
    `Captured ${report.capturedAt}, ${formatMs(report.durationMs)}: ${s.channels} channel${s.channels === 1 ? '' : 's'}, ${s.requests} requests (${s.wasted} wasted), ${s.messages} messages`,
    `Findings: ${s.findings.error} error, ${s.findings.warning} warning, ${s.findings.info} info${s.droppedEvents > 0 ? ` · ${s.droppedEvents} events were dropped during capture` : ''}${s.sampledMessages ? ` · ${s.sampledMessages} messages of flooding connections kept only their first characters (sizes and times are whole)` : ''}`,
  ];
  if (s.projectedRequestsPerSecond > 0) head.push(`Polling load for ${s.users} users: ${rate(s.projectedRequestsPerSecond)} req/s`);
  const blocks = report.channels.map((c) => channelLines(c).join('\n'));
  return [head.join('\n'), ...(blocks.length > 0 ? blocks : ['No real-time traffic in this capture.'])].join('\n\n') + '\n';
}

/** Run the analyze command; returns the exit code. */
export async function analyzeCommand(argv: string[]): Promise<number> {
  let args: AnalyzeArgs | 'help';
  try {
    args = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`realtime-inspector analyze: ${(error as Error).message}\n\n${ANALYZE_USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(`${ANALYZE_USAGE}\n`);
    return 0;
  }
  try {
    const { events, page, skipped } = await readEvents(args.file);
    if (skipped.length > 0) process.stderr.write(`realtime-inspector analyze: left out invalid entries of ${args.file}:\n  ${skipped.join('\n  ')}\n`);
    const analysed = analyzeCapture(events, { users: args.users });
    if (analysed.page.url === '' && page.url !== '') analysed.page = page;
    const report = args.redact ? redactReport(analysed, events) : analysed;
    if (args.html) await writeFile(args.html, renderHtmlReport(report));
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatSummary(report));
    return 0;
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`realtime-inspector analyze: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
