/**
 * The outputs CI systems read, from a suite result judged by the real judge: JUnit XML
 * (parsed back with a strict XML parser), GitHub Actions workflow commands (parsed back as
 * the runner does) and the Markdown summary; escaping proven on arbitrary text.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeData, escapeProperty, githubAnnotations } from '../../src/cli/audit-github.ts';
import { junitXml, xmlAttr, xmlText } from '../../src/cli/audit-junit.ts';
import { markdownSummary, mdText } from '../../src/cli/audit-markdown.ts';
import { all, parseCommand, parseXml, unescapeData, unescapeProperty } from '../support/ci-formats.ts';
import { channel, failedRun, finding, gates, heartbeatChannel, ok, pageResult, report, suiteResult } from './cli-suite-fixtures.ts';

/** What XML 1.0 can carry of a string, written independently of the writer: each code point kept or made U+FFFD. */
function xmlCarried(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length && value.charCodeAt(i + 1) >= 0xdc00 && value.charCodeAt(i + 1) <= 0xdfff) {
      out += value.slice(i, i + 2);
      i++;
    } else if (c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd)) out += value[i];
    else out += '\uFFFD';
  }
  return out;
}

/** Any UTF-16 text: lone surrogates, controls and markup characters included. */
const anyText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('<', '>', '&', '"', "'", '\r', '\n', '\t', ']]>', '%', ':', ',', '::', '|', '`', '*', '\\', '#', 'a'), maxLength: 30 }),
);

/** Three pages: one fails a rule, one passes though a run failed it (flaky), one could not be audited. */
function sampleSuite() {
  const options = gates(['heartbeat<=30s', 'reconnects<=0'], 'error');
  const fast = report([heartbeatChannel(10_000)]);
  const slow = report([heartbeatChannel(45_000, { findings: [finding('idle-gap-over-nat-timeout', 'error', 'idle 45 s > 30 s NAT timeout')] })]);
  return suiteResult([
    pageResult('ws', 'http://lab/pages/websocket.html?mode=ws-heartbeat&scale=0.2', [ok(slow), ok(slow), ok(fast)], options),
    pageResult('sse', 'http://lab/pages/sse.html', [ok(fast), ok(slow), ok(fast)], options),
    pageResult('down', 'http://127.0.0.1:9/', [failedRun('cannot load http://127.0.0.1:9/: net::ERR_CONNECTION_REFUSED', 68), failedRun('cannot load http://127.0.0.1:9/: net::ERR_CONNECTION_REFUSED', 68), failedRun('cannot load', 68)], options),
  ]);
}

describe('JUnit XML', () => {
  it('has a test suite per page and a test case per rule, failures and errors counted', () => {
    const root = parseXml(junitXml(sampleSuite()));
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toMatchObject({ tests: '7', failures: '2', errors: '1' });
    const [ws, sse, down] = all(root, 'testsuite');
    expect(ws!.attributes).toMatchObject({ name: 'ws', tests: '3', failures: '2', errors: '0', time: '60.000' });
    expect(all(ws!, 'testcase').map((c) => c.attributes.name)).toEqual(['--assert heartbeat<=30s', '--assert reconnects<=0', '--fail-on error']);
    expect(all(ws!, 'testcase').every((c) => c.attributes.classname === 'realtime-inspector.ws')).toBe(true);
    const failure = all(ws!, 'failure')[0]!;
    expect(failure.attributes.message).toBe('--assert heartbeat<=30s: passed in 1 of 3 runs (median: more than half needed) · per run: 45s FAIL · 45s FAIL · 10s ok');
    expect(failure.text).toContain('run 1: FAIL websocket ws://lab/ws/heartbeat: 45s');
    expect(all(ws!, 'property').find((p) => p.attributes.name === 'url')!.attributes.value).toBe('http://lab/pages/websocket.html?mode=ws-heartbeat&scale=0.2');
    expect(sse!.attributes).toMatchObject({ failures: '0', errors: '0' });
    expect(all(sse!, 'system-out').map((s) => s.text).join('\n')).toContain('findings in some runs only: idle-gap-over-nat-timeout (1/3)');
    expect(down!.attributes).toMatchObject({ tests: '1', errors: '1', time: '0.000' });
    expect(all(down!, 'error')[0]!.attributes).toEqual({ message: 'cannot load http://127.0.0.1:9/: net::ERR_CONNECTION_REFUSED', type: 'exit 68' });
  });

  it('stays well-formed and carries any page text exactly, up to the characters XML cannot hold (property)', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, anyText, (name, url, message, channelUrl) => {
        const r = report([channel({ url: channelUrl, findings: [finding('x-code', 'error', message)] })]);
        const suite = suiteResult([pageResult(name, url, [ok(r)], gates(['reconnects<=0'], 'error')), pageResult('other', url, [failedRun(message, 70)], gates([]))]);
        const root = parseXml(junitXml(suite));
        const [page, other] = all(root, 'testsuite');
        expect(page!.attributes.name).toBe(xmlCarried(name));
        expect(all(page!, 'property')[0]!.attributes.value).toBe(xmlCarried(url));
        const failure = all(page!, 'failure')[0]!;
        expect(failure.text).toContain(xmlCarried(`error x-code (${channelUrl}): ${message}`));
        expect(all(page!, 'system-out')[0]!.text).toContain(xmlCarried(`websocket ${channelUrl}: 0`));
        expect(all(other!, 'error')[0]!.attributes.message).toBe(xmlCarried(message));
      }),
      { numRuns: 300 },
    );
  });

  it('escapes markup in text and attributes', () => {
    expect(xmlText('a<b>&c\r')).toBe('a&lt;b&gt;&amp;c&#13;');
    expect(xmlAttr('"\'\n\t')).toBe('&quot;&apos;&#10;&#9;');
    expect(xmlText('\u0000\uD800x\uFFFF')).toBe('\uFFFD\uFFFDx\uFFFD');
  });
});

describe('GitHub Actions annotations', () => {
  it('gives an error per failed rule and unreachable page, a warning per flaky rule', () => {
    const lines = githubAnnotations(sampleSuite());
    const parsed = lines.map(parseCommand);
    expect(parsed.map((c) => `${c.name} ${c.properties.title}`)).toEqual([
      'error Realtime audit ws: --assert heartbeat<=30s',
      'error Realtime audit ws: --fail-on error',
      'warning Realtime audit sse: --assert heartbeat<=30s is flaky',
      'warning Realtime audit sse: --fail-on error is flaky',
      'error Realtime audit down: not audited',
    ]);
    expect(parsed[0]!.message.split('\n')).toEqual([
      'http://lab/pages/websocket.html?mode=ws-heartbeat&scale=0.2',
      'FAIL --assert heartbeat<=30s: passed in 1 of 3 runs (median: more than half needed) · per run: 45s FAIL · 45s FAIL · 10s ok',
      'run 1: FAIL websocket ws://lab/ws/heartbeat: 45s',
      'run 2: FAIL websocket ws://lab/ws/heartbeat: 45s',
    ]);
    for (const line of lines) expect(line).toMatch(/^::(error|warning) title=[^\r\n:,]*::[^\r\n]*$/);
  });

  it('keeps any text on one line and gives it back to the runner unchanged (property)', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (name, url, message) => {
        expect(unescapeData(escapeData(message))).toBe(message);
        expect(unescapeProperty(escapeProperty(message))).toBe(message);
        expect(escapeProperty(message)).not.toMatch(/[\r\n:,]/);
        const suite = suiteResult([pageResult(name, url, [failedRun(message, 68)], gates([]))]);
        const lines = githubAnnotations(suite);
        expect(lines).toHaveLength(1);
        expect(lines[0]).not.toMatch(/[\r\n]/);
        const command = parseCommand(lines[0]!);
        expect(command).toEqual({ name: 'error', properties: { title: `Realtime audit ${name}: not audited` }, message: `${url}\n${message}` });
      }),
      { numRuns: 300 },
    );
  });
});

/** Undo mdText's escapes (entities and backslashes), as a renderer shows the text. */
function mdShown(value: string): string {
  return value.replace(/\\([\\`*_[\]()!|~#])/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The cells of a GFM table row: split on pipes no backslash escapes. */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1);
}

describe('Markdown summary', () => {
  it('has a table of pages and, for each failed or flaky page, its rules and how its runs differed', () => {
    const md = markdownSummary(sampleSuite());
    expect(md).toContain('### Realtime Inspector audit: ❌ 2 of 3 pages failed');
    expect(md).toContain('Each page was audited 3 times and judged by the median');
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(rows.map((r) => cells(r).map((c) => c.trim()))).toEqual([
      ['Page', 'Result', 'Rules passed', 'Findings', 'Report'],
      ['---', '---', '---', '---', '---'],
      ['ws', '❌ fail', '1/3', '1 error · 0 warning', '<code>out/ws.html</code>'],
      ['sse', '⚠️ pass', '3/3', '0 error · 0 warning', '<code>out/sse.html</code>'],
      ['down', '❌ not audited (exit 68)', '—', '—', '—'],
    ]);
    expect(md).toContain('#### ❌ ws');
    expect(md).toContain('- ❌ <code>--assert heartbeat&lt;=30s: passed in 1 of 3 runs \\(median: more than half needed\\)');
    expect(md).toContain('  - run 1: FAIL websocket ws://lab/ws/heartbeat: 45s');
    expect(md).toContain('#### ⚠️ sse');
    expect(md).toContain('<details><summary>How the runs differed</summary>');
    expect(md).toContain('Not audited: cannot load http://127.0.0.1:9/: net::ERR\\_CONNECTION\\_REFUSED');
  });

  it('escapes any text to one line that shows as itself, with no raw HTML and no cell break (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const escaped = mdText(text);
        expect(escaped).not.toMatch(/[\r\n<>]/);
        expect(escaped).not.toMatch(/(?<!\\)\|/);
        expect(mdShown(escaped)).toBe(text.replace(/\r\n?|\n/g, ' '));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps five cells in every row whatever the page is called (property)', () => {
    fc.assert(
      fc.property(anyText, anyText, (name, url) => {
        const md = markdownSummary(suiteResult([pageResult(name, url, [ok(report([heartbeatChannel(10_000)]))], gates(['heartbeat<=30s']))]));
        const rows = md.split('\n').filter((l) => l.startsWith('| '));
        expect(rows).toHaveLength(3);
        for (const row of rows) expect(cells(row)).toHaveLength(5);
      }),
    );
  });
});
