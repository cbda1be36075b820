/**
 * `audit` options: command-line flags and an optional JSON config file, parsed
 * into one validated `AuditOptions`. Pure (the config file is read by the caller).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { FaultCommand } from '../shared/page-bridge.ts';
import type { BackoffModel, Severity } from '../core/index.ts';
import { SUITE_ARGV_OPTIONS, suiteFlagsFromArgv, type RawSuiteFlags } from './audit-suite-args.ts';

/** A fault and when to apply it, relative to the start of the page load. */
export interface ScheduledFault {
  atMs: number;
  command: FaultCommand;
  /** The spec as the user wrote it, for messages. */
  spec: string;
}

export type AssertMetric = 'heartbeat' | 'idle' | 'backoff' | 'jitter' | 'waste' | 'reconnects' | 'detect';
export type AssertOp = '<=' | '<' | '>=' | '>' | '=' | '!=';

/** One `--assert`: a metric, a comparison, and optionally the channels it is about (URL substring). */
export interface Assertion {
  metric: AssertMetric;
  op: AssertOp;
  /** Milliseconds for times, a 0..1 ratio for waste, a count for reconnects, a model name or boolean otherwise. */
  value: number | string | boolean;
  channel: string | null;
  spec: string;
}

export interface AuditOptions {
  url: string;
  durationMs: number;
  faults: ScheduledFault[];
  users: number | undefined;
  json: string | null;
  html: string | null;
  failOn: Exclude<Severity, 'info'> | null;
  asserts: Assertion[];
  headers: Record<string, string>;
  /** `name=value` pairs, sent to the audited URL's site. */
  cookies: Array<{ name: string; value: string }>;
  /** Print the report JSON on stdout instead of the readable summary. */
  printJson: boolean;
  /** Replace credentials in every report output (summary, JSON, HTML). */
  redact: boolean;
  /** Capture the traffic of the page's workers too (dedicated, shared, service; src/cli/workers.ts). */
  workers: boolean;
  /** `--baseline`: a report (or capture) to compare the run with; `--budget`: the regression budget file (src/cli/diff.ts). */
  baseline: string | null;
  budget: string | null;
}

/** Bad flags or config: the message says which and why. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const DEFAULT_DURATION_MS = 60_000;

export const AUDIT_USAGE = `Usage: realtime-inspector audit <url> [options]
       realtime-inspector audit --config pages.json [options]

Loads <url> in headless Chromium with the built extension, records its real-time
traffic, optionally breaks its connections on purpose, and prints the report.

Options:
  --duration <time>        how long to record (default 60s; e.g. 90s, 2m)
  --fault <spec>           inject a fault (repeatable; times from the page load):
                             drop@10s              end open WebSockets (1006) and streams
                             offline@20s:5s        network offline for 5 s
                             close@10s:4001[:why]  server close with this code
                             stall@10s:5s          hold incoming messages for 5 s
                             latency@0s:500ms[:30s] add 500 ms to responses and messages
  --users <n>              concurrent users for the load projection (default 1000)
  --json <file>            write the report JSON ('-' for stdout)
  --html <file>            write the HTML report
  --redact                 replace credentials in the summary, JSON and HTML: URL tokens,
                             user-info, payload credentials, the --header/--cookie values
  --no-workers             leave out the traffic of the page's Workers, SharedWorkers and
                             Service Workers (recorded by default, over the DevTools protocol)
  --fail-on <level>        exit 1 when a finding of this severity or worse exists (warning|error)
  --assert <rule>          exit 2 when a rule fails (repeatable; optional @url-substring):
                             heartbeat<=30s  idle<=45s  backoff=exponential  jitter=true
                             waste<=0.5  reconnects<=5  detect<=45s (a --fault stall noticed
                             within 45 s)  e.g. heartbeat<=25s@/socket.io/
  --header 'Name: value'   extra request header (repeatable)
  --cookie 'name=value'    cookie for the audited site (repeatable; 'a=1; b=2' works)
  --config <file.json>     the same options as JSON (flags given on the command line win);
                             with "pages": [...], several pages in one run (README "Several pages")
  --parallel <n>           pages audited at once with a config of pages (default 2)
  --runs <n>               audit each page n times and judge the runs together (default 1)
  --judge <median|worst>   with --runs: a rule passes when it passes in more than half the
                             runs (median, default) or in every run (worst)
  --base-url <url>         resolve page URLs that start with "/" against this origin
  --out-dir <dir>          per-page reports and summary.json (default with pages:
                             realtime-inspector-reports)
  --junit <file>           write a JUnit XML file: one test case per page and rule
  --markdown <file>        write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY);
                             GitHub Actions annotations are printed when GITHUB_ACTIONS=true
  --baseline <report.json> compare with an earlier report (or capture) of the page and
                             add 4 to the exit code on a regression beyond the budget
  --budget <budget.json>   the regression budget for --baseline (default: waste +5 points,
                             heartbeat ±20%, request rate +50%, backoff model, new errors)

Exit codes: 0 ok, 1 --fail-on reached, 2 --assert failed, 3 both, +4 budget breached, 64 bad usage,
68 URL unreachable, 69 no browser or extension not built, 70 page or browser crashed.
With several pages, a page that could not be audited gives its code (68, 70); otherwise
the gates' codes of all pages combine.`;

/** Parse a time: `500ms`, `10s`, `1.5m`, or a bare number of seconds. */
export function parseTime(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: "${text}" is not a time (use e.g. 500ms, 10s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

/** Close codes a server may send in a close frame (RFC 6455 §7.4: 1004-1006 and 1015 are never on the wire). */
function isSendableCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code);
}

/** Parse `--fault` specs: `drop@10s`, `offline@20s:5s`, `close@10s:4001[:reason]`, `stall@10s:5s`, `latency@0s:500ms[:30s]`. */
export function parseFault(spec: string): ScheduledFault {
  const m = /^(drop|offline|close|stall|latency)@([^:]+)(?::(.*))?$/.exec(spec.trim());
  if (!m) throw new UsageError(`--fault "${spec}": expected <drop|offline|close|stall|latency>@<time>[:<arg>], e.g. drop@10s`);
  // Groups 1 and 2 are not optional in the pattern: a match has them.
  const [, fault, at, rest] = m as unknown as [string, string, string, string | undefined];
  const atMs = parseTime(at, `--fault ${spec}`);
  const args = rest === undefined ? [] : rest.split(':');
  const need = (n: number, example: string) => {
    if (args.length < n || args.slice(0, n).some((a) => a === '')) throw new UsageError(`--fault "${spec}": needs ${example}`);
  };
  let command: FaultCommand;
  switch (fault) {
    case 'drop':
      if (args.length) throw new UsageError(`--fault "${spec}": drop takes no argument`);
      command = { fault: 'drop', conn: null };
      break;
    case 'offline':
      need(1, 'a duration, e.g. offline@20s:5s');
      command = { fault: 'offline', durationMs: parseTime(args[0]!, `--fault ${spec}`) };
      break;
    case 'stall':
      need(1, 'a duration, e.g. stall@10s:5s');
      command = { fault: 'stall', durationMs: parseTime(args[0]!, `--fault ${spec}`), conn: null };
      break;
    case 'close': {
      need(1, 'a close code, e.g. close@10s:4001');
      const code = Number(args[0]);
      if (!Number.isInteger(code) || !isSendableCloseCode(code)) {
        throw new UsageError(`--fault "${spec}": ${args[0]} is not a close code a server can send (1000-1003, 1007-1014, 3000-4999)`);
      }
      command = { fault: 'close', code, reason: args.slice(1).join(':'), conn: null };
      break;
    }
    default: {
      need(1, 'a delay, e.g. latency@0s:500ms');
      const durationMs = args[1] === undefined ? 0 : parseTime(args[1], `--fault ${spec}`);
      command = { fault: 'latency', delayMs: parseTime(args[0]!, `--fault ${spec}`), durationMs };
    }
  }
  return { atMs, command, spec };
}

const BACKOFF_MODELS: BackoffModel[] = ['fixed', 'linear', 'exponential', 'schedule'];

/** Parse `--assert` rules such as `heartbeat<=30s`, `backoff=exponential`, `waste<=0.5@/api/`. */
export function parseAssertion(spec: string): Assertion {
  const m = /^(heartbeat|idle|backoff|jitter|waste|reconnects|detect)\s*(<=|>=|!=|<|>|=)\s*([^@]+?)\s*(?:@(.+))?$/.exec(spec.trim());
  if (!m) {
    throw new UsageError(`--assert "${spec}": expected <heartbeat|idle|backoff|jitter|waste|reconnects|detect><op><value>, e.g. heartbeat<=30s`);
  }
  const metric = m[1] as AssertMetric;
  const op = m[2] as AssertOp;
  // Group 3 is not optional in the pattern.
  const raw = m[3]!;
  const channel = m[4] ?? null;
  const equality = op === '=' || op === '!=';
  let value: Assertion['value'];
  if (metric === 'backoff') {
    if (!equality || !BACKOFF_MODELS.includes(raw as BackoffModel)) {
      throw new UsageError(`--assert "${spec}": backoff takes = or != and one of ${BACKOFF_MODELS.join(', ')}`);
    }
    value = raw;
  } else if (metric === 'jitter') {
    if (!equality || (raw !== 'true' && raw !== 'false')) throw new UsageError(`--assert "${spec}": jitter takes =true or =false`);
    value = raw === 'true';
  } else if (metric === 'waste') {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(raw);
    value = percent ? Number(percent[1]) / 100 : Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new UsageError(`--assert "${spec}": waste is a ratio 0..1 or a percentage`);
  } else if (metric === 'reconnects') {
    value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new UsageError(`--assert "${spec}": reconnects is a count`);
  } else {
    value = parseTime(raw, `--assert ${spec}`);
  }
  return { metric, op, value, channel, spec };
}

function parseHeader(text: string): [string, string] {
  const i = text.indexOf(':');
  const name = i > 0 ? text.slice(0, i).trim() : '';
  if (!/^[!#$%&'*+.^_`|~\w-]+$/.test(name)) throw new UsageError(`--header "${text}": expected 'Name: value'`);
  return [name, text.slice(i + 1).trim()];
}

function parseCookies(text: string): Array<{ name: string; value: string }> {
  return text
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const i = part.indexOf('=');
      if (i <= 0) throw new UsageError(`--cookie "${text}": expected name=value`);
      return { name: part.slice(0, i).trim(), value: part.slice(i + 1).trim() };
    });
}

/** The raw, still textual form shared by flags and the config file. */
export interface RawOptions {
  url?: string;
  duration?: string;
  faults: string[];
  users?: string;
  json?: string;
  html?: string;
  failOn?: string;
  asserts: string[];
  headers: string[];
  cookies: string[];
  redact?: boolean;
  workers?: boolean;
  baseline?: string;
  budget?: string;
}

export function emptyRaw(): RawOptions {
  return { faults: [], asserts: [], headers: [], cookies: [] };
}

/** Read a config file's JSON into raw options (keys as in README: url, duration, faults, users, json, html, failOn, asserts, headers, cookies, redact, workers). */
export function rawFromConfig(config: unknown, file: string): RawOptions {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`${file}: expected a JSON object`);
  const c = config as Record<string, unknown>;
  const known = new Set(['url', 'duration', 'faults', 'users', 'json', 'html', 'failOn', 'asserts', 'headers', 'cookies', 'redact', 'workers', 'baseline', 'budget']);
  const unknownKeys = Object.keys(c).filter((k) => !known.has(k));
  if (unknownKeys.length) throw new UsageError(`${file}: unknown key ${unknownKeys.map((k) => `"${k}"`).join(', ')}`);
  const str = (key: string): string | undefined => {
    const v = c[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && (key === 'users' || key === 'duration')) return key === 'duration' ? `${v}ms` : String(v);
    throw new UsageError(`${file}: "${key}" must be a string`);
  };
  const list = (key: string): string[] => {
    const v = c[key];
    if (v === undefined) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    throw new UsageError(`${file}: "${key}" must be an array of strings`);
  };
  const flag = (key: string): boolean | undefined => {
    const v = c[key];
    if (v === undefined || typeof v === 'boolean') return v;
    throw new UsageError(`${file}: "${key}" must be true or false`);
  };
  let headers: string[];
  if (c.headers !== undefined && typeof c.headers === 'object' && c.headers !== null && !Array.isArray(c.headers)) {
    headers = Object.entries(c.headers).map(([k, v]) => `${k}: ${String(v)}`);
  } else {
    headers = list('headers');
  }
  return {
    url: str('url'),
    duration: str('duration'),
    faults: list('faults'),
    users: str('users'),
    json: str('json'),
    html: str('html'),
    failOn: str('failOn'),
    asserts: list('asserts'),
    headers,
    cookies: list('cookies'),
    redact: flag('redact'),
    workers: flag('workers'),
    baseline: str('baseline'),
    budget: str('budget'),
  };
}

/** The audit's flags, for node:util parseArgs (`--name value` and `--name=value` both work). */
const ARGV_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  duration: { type: 'string' },
  fault: { type: 'string', multiple: true },
  users: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  'fail-on': { type: 'string' },
  assert: { type: 'string', multiple: true },
  header: { type: 'string', multiple: true },
  cookie: { type: 'string', multiple: true },
  config: { type: 'string' },
  redact: { type: 'boolean' },
  'no-workers': { type: 'boolean' },
  baseline: { type: 'string' },
  budget: { type: 'string' },
  ...SUITE_ARGV_OPTIONS,
} as const satisfies ParseArgsConfig['options'];

/** parseArgs' errors in the CLI's words (its own name the option and say what to do, at length). */
function argvError(error: unknown): UsageError {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${option}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/argument missing/.test(message)) return new UsageError(`${option} needs a value`);
    if (/ambiguous/.test(message)) return new UsageError(`${option} needs a value; for one that starts with "-", write ${option}=<value>`);
    return new UsageError(`${option} takes no value`);
  }
  return new UsageError(message);
}

/** Split argv into raw options, the suite's own flags (src/cli/audit-config.ts) and the config file path. */
export function rawFromArgv(argv: string[]): { raw: RawOptions; suite: RawSuiteFlags; config: string | null; help: boolean } {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof ARGV_OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: ARGV_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw argvError(error);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one URL expected, got ${positionals.length}: ${positionals.join(' ')}`);
  const raw = emptyRaw();
  raw.url = positionals[0];
  raw.duration = v.duration;
  raw.faults.push(...(v.fault ?? []));
  raw.users = v.users;
  raw.json = v.json;
  raw.html = v.html;
  raw.failOn = v['fail-on'];
  raw.asserts.push(...(v.assert ?? []));
  raw.headers.push(...(v.header ?? []));
  raw.cookies.push(...(v.cookie ?? []));
  if (v.redact) raw.redact = true;
  if (v['no-workers']) raw.workers = false;
  raw.baseline = v.baseline;
  raw.budget = v.budget;
  return { raw, suite: suiteFlagsFromArgv(v), config: v.config ?? null, help: v.help === true };
}

/** Merge config (base) and flags (win; lists add up) and validate. */
export function resolveOptions(flags: RawOptions, config: RawOptions = emptyRaw()): AuditOptions {
  const pick = <K extends keyof RawOptions>(key: K) => flags[key] ?? config[key];
  const urlText = pick('url');
  if (!urlText) throw new UsageError('a URL is required: realtime-inspector audit <url>');
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(urlText) ? urlText : `http://${urlText}`);
  } catch {
    throw new UsageError(`"${urlText}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'file:') {
    throw new UsageError(`"${urlText}": only http, https and file URLs can be audited`);
  }
  const durationText = pick('duration');
  const durationMs = durationText === undefined ? DEFAULT_DURATION_MS : parseTime(durationText, '--duration');
  if (durationMs < 1000) throw new UsageError('--duration must be at least 1s');
  const faults = [...config.faults, ...flags.faults].map(parseFault).sort((a, b) => a.atMs - b.atMs);
  const late = faults.find((f) => f.atMs >= durationMs);
  if (late) throw new UsageError(`--fault ${late.spec} starts after the recording ends (--duration ${durationMs / 1000}s)`);
  const usersText = pick('users');
  const users = usersText === undefined ? undefined : Number(usersText);
  if (users !== undefined && (!Number.isInteger(users) || users < 1)) throw new UsageError(`--users "${usersText}": expected a positive integer`);
  const failOn = pick('failOn');
  if (failOn !== undefined && failOn !== 'warning' && failOn !== 'error') throw new UsageError(`--fail-on "${failOn}": expected warning or error`);
  if (pick('budget') !== undefined && pick('baseline') === undefined) throw new UsageError('--budget needs --baseline <report.json> to compare with');
  const headers: Record<string, string> = {};
  for (const text of [...config.headers, ...flags.headers]) {
    const [name, value] = parseHeader(text);
    headers[name] = value;
  }
  return {
    url: url.href,
    durationMs,
    faults,
    users,
    json: pick('json') ?? null,
    html: pick('html') ?? null,
    failOn: failOn ?? null,
    asserts: [...config.asserts, ...flags.asserts].map(parseAssertion),
    headers,
    cookies: [...config.cookies, ...flags.cookies].flatMap(parseCookies),
    printJson: flags.json === '-',
    redact: pick('redact') ?? false,
    workers: pick('workers') ?? true,
    baseline: pick('baseline') ?? null,
    budget: pick('budget') ?? null,
  };
}
