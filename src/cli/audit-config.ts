/**
 * `audit` as a suite: one URL from the command line, or a config file's list of pages,
 * each with its own options, plus how many runs, how they are judged, how many pages
 * at once and where the CI outputs go. Pure: the caller reads the file.
 *
 * A config of pages is validated whole before anything runs: every bad field is named by
 * its path (`pages[2].asserts[0]`) in one message, so a typo costs one attempt.
 */
import {
  emptyRaw,
  parseAssertion,
  parseFault,
  parseTime,
  rawFromConfig,
  resolveOptions,
  UsageError,
  type AuditOptions,
  type RawOptions,
} from './audit-args.ts';
import { JUDGES, type Judge, type RawSuiteFlags } from './audit-suite-args.ts';
import { Redactor } from '../core/index.ts';

export interface SuitePage {
  /** File-name-safe id: the report files are `<name>.json` and `<name>.html`. */
  name: string;
  options: AuditOptions;
}

export interface AuditSuite {
  pages: SuitePage[];
  /** From a config's "pages" list: the reports go to outDir, one pair of files per page, and a summary. */
  multi: boolean;
  /** Pages audited at once (tabs of one browser). */
  parallel: number;
  runs: number;
  judge: Judge;
  outDir: string | null;
  junit: string | null;
  markdown: string | null;
  /** What page URLs starting with "/" are resolved against (the same config for a local lab, a preview deploy, staging). */
  baseUrl: string | null;
}

export const DEFAULT_PARALLEL = 2;
export const DEFAULT_OUT_DIR = 'realtime-inspector-reports';
/** Bounds that keep a typo (`--runs 100`) from holding a CI job for hours. */
const MAX_RUNS = 20;
const MAX_PARALLEL = 16;

/** Keys of a config file that are about the whole suite (the rest are a page's options). */
const SUITE_KEYS = ['parallel', 'runs', 'judge', 'outDir', 'junit', 'markdown', 'baseUrl'] as const;
/** Keys a page of a config's "pages" may have besides the options of a single audit. */
const PAGE_OPTION_KEYS = ['duration', 'faults', 'users', 'json', 'html', 'failOn', 'asserts', 'headers', 'cookies', 'redact', 'workers', 'baseline', 'budget'];
const PAGE_KEYS = ['name', 'url', ...PAGE_OPTION_KEYS];
const PAGES_TOP_KEYS = ['pages', 'defaults', ...SUITE_KEYS];

/** Every problem found, each with the path of its field; thrown as one UsageError. */
class Problems {
  readonly list: string[] = [];
  constructor(readonly file: string) {}
  /** Run `check`; a UsageError it throws becomes a problem at `path`. */
  at<T>(path: string, check: () => T): T | undefined {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      // rawFromConfig names the file itself; keep only its words after it.
      const message = error.message.startsWith(`${this.file}: `) ? error.message.slice(this.file.length + 2) : error.message;
      this.list.push(path ? `${path}: ${message}` : message);
      return undefined;
    }
  }
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
  throwIfAny(): void {
    if (this.list.length === 1) throw new UsageError(`${this.file}: ${this.list[0]}`);
    if (this.list.length) throw new UsageError(`${this.file}: ${this.list.length} problems\n${this.list.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A positive integer no larger than `max`, from a flag (text) or a config (number or text). */
function count(value: unknown, what: string, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${what} "${String(value)}": expected a whole number from 1 to ${max}`);
  return n;
}

function judgeOf(value: unknown, what: string): Judge {
  if (typeof value === 'string' && (JUDGES as readonly string[]).includes(value)) return value as Judge;
  throw new UsageError(`${what} "${String(value)}": expected ${JUDGES.join(' or ')}`);
}

function baseUrlOf(value: unknown, what: string): string {
  let url: URL | null = null;
  try {
    url = typeof value === 'string' ? new URL(value) : null;
  } catch {
    // Not absolute: said below.
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new UsageError(`${what} "${String(value)}": expected an absolute http(s) URL, e.g. http://127.0.0.1:8080`);
  return url.href;
}

/** A page URL with a base: one starting with "/" is resolved against it; without a base, such a URL is an error. */
function withBase(url: string, baseUrl: string | null): string {
  if (!url.startsWith('/')) return url;
  if (!baseUrl) throw new UsageError(`"${url}" is a path: set "baseUrl" in the config or --base-url`);
  return new URL(url, baseUrl).href;
}

function pathOf(value: unknown, what: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new UsageError(`${what} must be a file or folder path (a non-empty string)`);
}

/** The suite settings: flags win over the config file's top-level keys. */
function suiteSettings(flags: RawSuiteFlags, config: Record<string, unknown>, problems: Problems, multi: boolean): Omit<AuditSuite, 'pages' | 'multi'> {
  const pick = (flag: keyof RawSuiteFlags, key: (typeof SUITE_KEYS)[number]) =>
    flags[flag] !== undefined ? { value: flags[flag], what: `--${flag === 'outDir' ? 'out-dir' : flag}`, path: '' } : { value: config[key], what: `"${key}"`, path: key };
  const setting = <T>(flag: keyof RawSuiteFlags, key: (typeof SUITE_KEYS)[number], parse: (value: unknown, what: string) => T): T | undefined => {
    const { value, what, path } = pick(flag, key);
    if (value === undefined) return undefined;
    return problems.at(path, () => parse(value, path ? 'value' : what));
  };
  return {
    parallel: setting('parallel', 'parallel', (v, w) => count(v, w, MAX_PARALLEL)) ?? DEFAULT_PARALLEL,
    runs: setting('runs', 'runs', (v, w) => count(v, w, MAX_RUNS)) ?? 1,
    judge: setting('judge', 'judge', judgeOf) ?? 'median',
    outDir: setting('outDir', 'outDir', pathOf) ?? (multi ? DEFAULT_OUT_DIR : null),
    junit: setting('junit', 'junit', pathOf) ?? null,
    markdown: setting('markdown', 'markdown', pathOf) ?? null,
    baseUrl: setting('baseUrl', 'baseUrl', baseUrlOf) ?? null,
  };
}

/**
 * A report file name for a page without one: its path and query, folded to [a-z0-9-].
 * With `redact`, of the URL as redacted (a token in the query must not name a file).
 */
export function pageName(url: string, redact = false): string {
  const u = new URL(redact ? new Redactor().text(url) : url);
  let text = `${u.pathname}${u.search}`;
  try {
    // %5BREDACTED%5D reads as [REDACTED]: name the file by what the URL says, not its escapes.
    text = decodeURIComponent(text);
  } catch {
    // A malformed escape: keep the text as it is.
  }
  text = text.replace(/\.html?(?=$|\?)/, '');
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || u.hostname.replace(/[^a-z0-9]+/gi, '-').toLowerCase() || 'page';
}

const NAME_PATTERN = /^[\w-][\w.-]{0,79}$/;

/** Merge a page's raw options over the defaults': scalars from the page win, lists add up. */
function mergeRaw(base: RawOptions, page: RawOptions): RawOptions {
  const merged = { ...base };
  for (const [key, value] of Object.entries(page) as Array<[keyof RawOptions, unknown]>) {
    if (value === undefined) continue;
    if (Array.isArray(value)) (merged[key] as string[]) = [...(base[key] as string[]), ...value];
    else (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** Check the lists' entries one by one, so that a bad one is named by its index. */
function checkEntries(raw: Record<string, unknown>, path: string, problems: Problems): void {
  const entries = (key: string, parse: (text: string) => unknown) => {
    const list = raw[key];
    if (!Array.isArray(list)) return;
    list.forEach((entry, i) => {
      if (typeof entry === 'string') problems.at(`${path}${key}[${i}]`, () => parse(entry));
    });
  };
  entries('asserts', parseAssertion);
  entries('faults', parseFault);
  if (typeof raw.duration === 'string') problems.at(`${path}duration`, () => parseTime(raw.duration as string, 'duration'));
  const users = raw.users;
  if (users !== undefined && !(Number.isInteger(Number(users)) && Number(users) >= 1 && (typeof users === 'number' || typeof users === 'string'))) {
    problems.add(`${path}users`, `${JSON.stringify(users)}: expected a positive integer`);
  }
  if (raw.failOn !== undefined && raw.failOn !== 'warning' && raw.failOn !== 'error') {
    problems.add(`${path}failOn`, `${JSON.stringify(raw.failOn)}: expected "warning" or "error"`);
  }
}

function unknownKeys(object: Record<string, unknown>, known: string[], path: string, problems: Problems): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) problems.add(`${path}${key}`, `unknown key (known: ${known.join(', ')})`);
  }
}

/** Options of a page from its raw form; a failure is named by the page's path. */
function pageOptions(flags: RawOptions, raw: RawOptions, path: string, problems: Problems): AuditOptions | undefined {
  return problems.at(path, () => resolveOptions(flags, raw));
}

/**
 * The suite from the command line and the config file's JSON (null without --config).
 * Throws one UsageError that lists every problem.
 */
export function resolveSuite(flags: RawOptions, suiteFlags: RawSuiteFlags, config: { json: unknown; file: string } | null): AuditSuite {
  const file = config?.file ?? 'command line';
  const problems = new Problems(file);
  const json = config?.json;
  if (config && !isObject(json)) throw new UsageError(`${file}: expected a JSON object`);
  const top: Record<string, unknown> = isObject(json) ? json : {};
  const multi = top.pages !== undefined;
  const settings = suiteSettings(suiteFlags, top, problems, multi);

  if (!multi) {
    const single: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(top)) if (!(SUITE_KEYS as readonly string[]).includes(key)) single[key] = value;
    if (config) checkEntries(single, '', problems);
    problems.throwIfAny();
    const raw = config ? rawFromConfig(single, file) : emptyRaw();
    const url = flags.url ?? raw.url;
    const options = resolveOptions({ ...flags, url: url === undefined ? undefined : withBase(url, settings.baseUrl) }, raw);
    return { ...settings, multi, pages: [{ name: pageName(options.url, options.redact), options }] };
  }

  unknownKeys(top, PAGES_TOP_KEYS, '', problems);
  if (flags.url !== undefined) problems.add('pages', `a URL on the command line (${flags.url}) and a list of pages: give one or the other`);
  if (flags.json !== undefined || flags.html !== undefined) {
    problems.add('pages', 'with a list of pages, --json and --html do not apply: each page\'s reports go to --out-dir (or its own "json"/"html")');
  }
  let defaults = emptyRaw();
  if (top.defaults !== undefined) {
    if (!isObject(top.defaults)) problems.add('defaults', 'expected an object of options shared by every page');
    else {
      const before = problems.list.length;
      unknownKeys(top.defaults, PAGE_OPTION_KEYS.filter((k) => k !== 'json' && k !== 'html'), 'defaults.', problems);
      checkEntries(top.defaults, 'defaults.', problems);
      if (problems.list.length === before) defaults = problems.at('defaults', () => rawFromConfig(top.defaults, file)) ?? defaults;
    }
  }
  if (!Array.isArray(top.pages) || top.pages.length === 0) {
    problems.add('pages', 'expected a non-empty array of pages (a URL, or an object with "url" and options)');
    problems.throwIfAny();
  }
  const pages: SuitePage[] = [];
  const names = new Map<string, number>();
  (top.pages as unknown[]).forEach((entry, i) => {
    const path = `pages[${i}]`;
    const page: Record<string, unknown> | undefined = typeof entry === 'string' ? { url: entry } : isObject(entry) ? { ...entry } : undefined;
    if (!page) {
      problems.add(path, 'expected a URL or an object with "url"');
      return;
    }
    const before = problems.list.length;
    unknownKeys(page, PAGE_KEYS, `${path}.`, problems);
    if (typeof page.url !== 'string' || page.url === '') problems.add(`${path}.url`, 'required: the page to audit');
    else problems.at(`${path}.url`, () => (page.url = withBase(page.url as string, settings.baseUrl)));
    if (page.name !== undefined && (typeof page.name !== 'string' || !NAME_PATTERN.test(page.name))) {
      problems.add(`${path}.name`, `"${String(page.name)}" must be a file name: letters, digits, "_", "-", "." (at most 80, not starting with ".")`);
    }
    checkEntries(page, `${path}.`, problems);
    if (problems.list.length > before) return;
    const { name, ...rest } = page;
    const raw = problems.at(path, () => rawFromConfig(rest, file));
    if (!raw) return;
    const options = pageOptions(flags, mergeRaw(defaults, raw), path, problems);
    if (!options) return;
    let pageId = typeof name === 'string' ? name : pageName(options.url, options.redact);
    const seen = names.get(pageId);
    if (seen !== undefined) {
      if (typeof name === 'string') {
        problems.add(`${path}.name`, `"${name}" is also the name of pages[${seen}]: report files would overwrite each other`);
        return;
      }
      let n = 2;
      while (names.has(`${pageId}-${n}`)) n++;
      pageId = `${pageId}-${n}`;
    }
    names.set(pageId, i);
    pages.push({ name: pageId, options });
  });
  problems.throwIfAny();
  return { ...settings, multi, pages };
}
