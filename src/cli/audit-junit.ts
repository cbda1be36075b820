/**
 * The JUnit XML of an audit suite (`audit --junit FILE`), as CI systems read it (GitHub
 * test reporters, GitLab `artifacts:reports:junit`, Jenkins): one <testsuite> per page, one
 * <testcase> per gate (each --assert rule, and --fail-on), failed gates as <failure>, a page
 * that could not be audited as an <error>. Page data (URLs, titles, finding messages) is
 * untrusted: every string is escaped, and characters XML 1.0 cannot carry are replaced.
 */
import { describeGate, describeSpread } from './audit-runs.ts';
import type { PageResult, SuiteResult } from './audit-suite.ts';

/**
 * Characters XML 1.0 forbids even as references (XML 1.0 §2.2 Char: #x9 | #xA | #xD |
 * [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]), lone surrogates included.
 */
const NOT_XML_CHAR = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text content: markup characters as entities, forbidden characters as U+FFFD, and CR as a
 * reference (a parser turns a literal CR, or CR LF, into LF: XML 1.0 §2.11).
 */
export function xmlText(value: string): string {
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/**
 * An attribute value (in double quotes): as text, plus quotes, and tab, line feed and
 * carriage return as character references, which attribute-value normalisation keeps
 * (XML 1.0 §3.3.3) where literal ones would become spaces.
 */
export function xmlAttr(value: string): string {
  return xmlText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

function element(name: string, attrs: Record<string, string | number>, children: string[] | string | null, indent: string): string {
  const attrText = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
  if (children === null || children.length === 0) return `${indent}<${name}${attrText}/>`;
  if (typeof children === 'string') return `${indent}<${name}${attrText}>${xmlText(children)}</${name}>`;
  return `${indent}<${name}${attrText}>\n${children.join('\n')}\n${indent}</${name}>`;
}

function pageSuite(page: PageResult, judge: SuiteResult['judge']): { xml: string; tests: number; failures: number; errors: number } {
  const classname = `realtime-inspector.${page.name}`;
  const v = page.verdict;
  const properties = element(
    'properties',
    {},
    [
      element('property', { name: 'url', value: page.url }, null, '      '),
      element('property', { name: 'runs', value: v.runs.length }, null, '      '),
      element('property', { name: 'judge', value: judge }, null, '      '),
      ...(page.files.json ? [element('property', { name: 'report', value: page.files.json }, null, '      ')] : []),
      ...(page.files.html ? [element('property', { name: 'html', value: page.files.html }, null, '      ')] : []),
    ],
    '    ',
  );
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  if (v.error) {
    errors++;
    cases.push(
      element('testcase', { classname, name: 'audit' }, [element('error', { message: v.error.message, type: `exit ${v.error.exitCode}` }, v.error.message, '      ')], '    '),
    );
  } else if (!v.gates.length) {
    // No rule to judge: the page was audited, which is the one thing to report.
    cases.push(element('testcase', { classname, name: 'audit' }, null, '    '));
  }
  // A page with no report has no rule to judge: its one test case is the error.
  for (const gate of v.error ? [] : v.gates) {
    const { headline, details } = describeGate(gate, judge);
    if (gate.ok) {
      cases.push(element('testcase', { classname, name: gate.title }, [element('system-out', {}, [headline, ...details].join('\n'), '      ')], '    '));
      continue;
    }
    failures++;
    cases.push(element('testcase', { classname, name: gate.title }, [element('failure', { message: headline, type: gate.kind }, [headline, ...details].join('\n'), '      ')], '    '));
  }
  const spread = describeSpread(v.channels, v.runs.length);
  const notes = [...v.runs.flatMap((r) => [...r.faultErrors.map((e) => `run ${r.run}: fault not applied: ${e}`), ...r.pageErrors.map((e) => `run ${r.run}: page error: ${e}`)]), ...(spread.length ? ['How the runs differed:', ...spread] : [])];
  const children = [properties, ...cases, ...(notes.length ? [element('system-out', {}, notes.join('\n'), '    ')] : [])];
  const tests = cases.length;
  // time: seconds recorded over the page's runs (JUnit's unit; reporters show it per suite).
  const time = (v.runs.reduce((ms, r) => ms + r.durationMs, 0) / 1000).toFixed(3);
  const xml = element('testsuite', { name: page.name, tests, failures, errors, skipped: 0, time }, children, '  ');
  return { xml, tests, failures, errors };
}

/** The suite as JUnit XML. */
export function junitXml(result: SuiteResult): string {
  const suites = result.pages.map((p) => pageSuite(p, result.judge));
  const sum = (key: 'tests' | 'failures' | 'errors') => suites.reduce((n, s) => n + s[key], 0);
  const root = element(
    'testsuites',
    { name: 'realtime-inspector audit', tests: sum('tests'), failures: sum('failures'), errors: sum('errors') },
    suites.map((s) => s.xml),
    '',
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}
