/** `audit --config` with a list of pages, and the suite flags: merging, names, and errors that name the bad field. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rawFromArgv, UsageError } from '../../src/cli/audit-args.ts';
import { DEFAULT_OUT_DIR, DEFAULT_PARALLEL, pageName, resolveSuite } from '../../src/cli/audit-config.ts';

function suite(argv: string[], json?: unknown) {
  const { raw, suite: flags } = rawFromArgv(argv);
  return resolveSuite(raw, flags, json === undefined ? null : { json, file: 'audit.json' });
}

/** The UsageError's message (fails the test when nothing is thrown). */
function problem(argv: string[], json?: unknown): string {
  try {
    suite(argv, json);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

const WS = 'http://127.0.0.1:8080/pages/websocket.html?mode=ws-heartbeat';
const SSE = 'http://127.0.0.1:8080/pages/sse.html?mode=sse-resume';

describe('audit suite options', () => {
  it('makes one page of a URL on the command line, audited once and judged by the median, with no files unless asked', () => {
    const s = suite([WS, '--duration', '20s']);
    expect(s).toMatchObject({ multi: false, runs: 1, judge: 'median', parallel: DEFAULT_PARALLEL, outDir: null, junit: null, markdown: null });
    expect(s.pages).toHaveLength(1);
    expect(s.pages[0]!.options.durationMs).toBe(20_000);
    expect(s.pages[0]!.name).toBe('pages-websocket-mode-ws-heartbeat');
  });

  it('reads --runs, --judge, --parallel, --out-dir, --junit and --markdown', () => {
    const s = suite([WS, '--runs', '3', '--judge', 'worst', '--parallel', '4', '--out-dir', 'r', '--junit', 'j.xml', '--markdown', 's.md']);
    expect(s).toMatchObject({ runs: 3, judge: 'worst', parallel: 4, outDir: 'r', junit: 'j.xml', markdown: 's.md' });
  });

  it('keeps a single-page config working, its suite keys included', () => {
    const s = suite([], { url: WS, duration: '5s', runs: 2, junit: 'j.xml', asserts: ['heartbeat<=30s'] });
    expect(s.multi).toBe(false);
    expect(s.runs).toBe(2);
    expect(s.junit).toBe('j.xml');
    expect(s.pages[0]!.options.asserts.map((a) => a.spec)).toEqual(['heartbeat<=30s']);
  });

  it('merges defaults, the page and the command line: page scalars over defaults, flags over both, lists added up', () => {
    const s = suite(['--duration', '9s', '--assert', 'reconnects<=5'], {
      parallel: 3,
      runs: 2,
      defaults: { duration: '30s', failOn: 'warning', asserts: ['idle<=45s'], headers: { 'X-Team': 'rt' } },
      pages: [{ name: 'ws', url: WS, duration: '20s', failOn: 'error', asserts: ['heartbeat<=30s'] }, SSE],
    });
    expect(s).toMatchObject({ multi: true, parallel: 3, runs: 2, outDir: DEFAULT_OUT_DIR });
    const [ws, sse] = s.pages;
    expect(ws!.name).toBe('ws');
    expect(ws!.options.durationMs).toBe(9000);
    expect(ws!.options.failOn).toBe('error');
    expect(ws!.options.asserts.map((a) => a.spec)).toEqual(['idle<=45s', 'heartbeat<=30s', 'reconnects<=5']);
    expect(ws!.options.headers).toEqual({ 'X-Team': 'rt' });
    expect(sse!.name).toBe('pages-sse-mode-sse-resume');
    expect(sse!.options.failOn).toBe('warning');
    expect(sse!.options.asserts.map((a) => a.spec)).toEqual(['idle<=45s', 'reconnects<=5']);
  });

  it('resolves page paths against baseUrl, and --base-url over it, so one config serves a local lab and a preview deploy', () => {
    const config = { baseUrl: 'http://127.0.0.1:8080', pages: ['/pages/sse.html?mode=sse-resume', { url: 'http://other:9/x', name: 'other' }] };
    expect(suite([], config).pages.map((p) => p.options.url)).toEqual(['http://127.0.0.1:8080/pages/sse.html?mode=sse-resume', 'http://other:9/x']);
    expect(suite(['--base-url', 'https://preview-42.example.com/'], config).pages[0]!.options.url).toBe('https://preview-42.example.com/pages/sse.html?mode=sse-resume');
    expect(suite(['/pages/sse.html', '--base-url', 'http://127.0.0.1:8080']).pages[0]!.options.url).toBe('http://127.0.0.1:8080/pages/sse.html');
    expect(problem([], { pages: ['/pages/sse.html'] })).toBe('audit.json: pages[0].url: "/pages/sse.html" is a path: set "baseUrl" in the config or --base-url');
    expect(problem([], { baseUrl: 'lab', pages: ['/x'] })).toContain('baseUrl: value "lab": expected an absolute http(s) URL');
  });

  it('gives pages without a name distinct file names', () => {
    const s = suite([], { pages: [WS, WS, { url: WS }] });
    expect(s.pages.map((p) => p.name)).toEqual(['pages-websocket-mode-ws-heartbeat', 'pages-websocket-mode-ws-heartbeat-2', 'pages-websocket-mode-ws-heartbeat-3']);
    expect(pageName('http://127.0.0.1:8080/')).toBe('127-0-0-1');
    // With --redact a token in the URL names no file.
    expect(suite(['http://lab/live?token=s3cr3t', '--redact']).pages[0]!.name).toBe('live-token-redacted');
  });

  it('lists every problem of a config at once, each by the path of its field', () => {
    const message = problem([], {
      runs: 0,
      judge: 'best',
      colour: 'red',
      defaults: { faults: ['explode@1s'] },
      pages: [
        { url: WS, durration: '5s' },
        { url: SSE, asserts: ['heartbeat<=30s', 'hearbeat<=30s'] },
        { name: 'x' },
        { url: WS, duration: 'soon' },
        42,
        { url: WS, name: '../etc/passwd' },
        { url: SSE, duration: '5s', faults: ['drop@10s'] },
        { url: WS, cookies: 'a=b' },
      ],
    });
    expect(message).toMatch(/^audit\.json: \d+ problems\n/);
    for (const expected of [
      'runs: value "0": expected a whole number from 1 to 20',
      'judge: value "best": expected median or worst',
      'colour: unknown key (known: pages, defaults, parallel, runs, judge, outDir, junit, markdown, baseUrl)',
      'defaults.faults[0]: --fault "explode@1s"',
      'pages[0].durration: unknown key',
      'pages[1].asserts[1]: --assert "hearbeat<=30s"',
      'pages[2].url: required: the page to audit',
      'pages[3].duration: duration: "soon" is not a time',
      'pages[4]: expected a URL or an object with "url"',
      'pages[5].name: "../etc/passwd" must be a file name',
      'pages[6]: --fault drop@10s starts after the recording ends (--duration 5s)',
      'pages[7]: "cookies" must be an array of strings',
    ]) {
      expect(message).toContain(`  - ${expected}`);
    }
    expect(message).not.toContain('pages[1].asserts[0]');
  });

  it('names the field of a single problem on one line', () => {
    expect(problem([], { pages: [{ url: WS, users: 'many' }] })).toBe('audit.json: pages[0].users: "many": expected a positive integer');
    expect(problem([WS, '--runs', '100'])).toBe('command line: --runs "100": expected a whole number from 1 to 20');
    expect(problem([WS, '--judge', 'mean'])).toBe('command line: --judge "mean": expected median or worst');
  });

  it('refuses what a list of pages makes ambiguous: a URL argument, --json, --html, two pages of one name, no pages', () => {
    expect(problem([WS], { pages: [SSE] })).toContain('pages: a URL on the command line');
    expect(problem(['--json', 'r.json'], { pages: [SSE] })).toContain('--json and --html do not apply');
    expect(problem([], { pages: [{ url: WS, name: 'a' }, { url: SSE, name: 'a' }] })).toContain('pages[1].name: "a" is also the name of pages[0]');
    expect(problem([], { pages: [] })).toContain('pages: expected a non-empty array');
    expect(problem([], [WS])).toBe('audit.json: expected a JSON object');
  });

  it('names the path of a bad field wherever it is put in an otherwise good config (property)', () => {
    const goodPage = fc.record({
      url: fc.constantFrom(WS, SSE),
      duration: fc.constantFrom('10s', '30s', '1m'),
      asserts: fc.array(fc.constantFrom('heartbeat<=30s', 'waste<=0.5', 'backoff=exponential', 'reconnects<=3'), { maxLength: 3 }),
    });
    const bad = fc.constantFrom(
      { key: 'duration', value: 'later', says: 'is not a time' },
      { key: 'asserts', value: ['pulse<=3s'], says: '--assert "pulse<=3s"', index: 0 },
      { key: 'faults', value: ['drop'], says: '--fault "drop"', index: 0 },
      { key: 'failOn', value: 'fatal', says: '"fatal": expected "warning" or "error"' },
      { key: 'users', value: 0, says: '0: expected a positive integer' },
      { key: 'redact', value: 'yes', says: '"redact" must be true or false' },
    );
    fc.assert(
      fc.property(fc.array(goodPage, { minLength: 1, maxLength: 6 }), fc.nat(), bad, (pages, at, fault) => {
        const i = at % pages.length;
        const config = { pages: pages.map((p, j) => (j === i ? { ...p, [fault.key]: fault.value } : p)) };
        const message = problem([], config);
        const path = `pages[${i}]${fault.key === 'redact' ? '' : `.${fault.key}`}${fault.index === undefined ? '' : `[${fault.index}]`}`;
        expect(message.startsWith(`audit.json: ${path}: `), message).toBe(true);
        expect(message).toContain(fault.says);
        // Without the bad field, the same config is accepted, page for page.
        expect(suite([], { pages }).pages).toHaveLength(pages.length);
      }),
    );
  });
});
