/**
 * The sample Playwright Test suite (examples/playwright/) run as a user runs it,
 * `playwright test -c examples/playwright`, against the demo lab, with the built
 * `realtime-inspector/playwright` entry (lib/playwright/, `npm run build`) and
 * Playwright's JSON reporter: every sample test passes, and the deliberately
 * failing one fails with the message README.md quotes under "Playwright".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const PLAYWRIGHT_CLI = join(ROOT, 'node_modules/@playwright/test/cli.js');

interface JsonTest {
  projectName: string;
  status: 'expected' | 'unexpected' | 'flaky' | 'skipped';
  results: Array<{ status: string; errors: Array<{ message?: string }> }>;
}
interface JsonSuite {
  suites?: JsonSuite[];
  specs?: Array<{ title: string; file: string; tests: JsonTest[] }>;
}
interface Outcome {
  title: string;
  project: string;
  status: JsonTest['status'];
  errors: string[];
}

function outcomes(suite: JsonSuite, into: Outcome[] = []): Outcome[] {
  for (const child of suite.suites ?? []) outcomes(child, into);
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests) {
      into.push({ title: spec.title, project: t.projectName, status: t.status, errors: t.results.flatMap((r) => r.errors.map((e) => e.message ?? '')) });
    }
  }
  return into;
}

/** Playwright colours messages for a terminal; the README quotes the text. */
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');
/** The lab listens on a free port: compare messages with the port left out. */
const anyPort = (text: string) => text.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');

/** The matcher's message: Playwright appends the source snippet after a blank line and a line number. */
function matcherMessage(error: string): string {
  const lines = stripAnsi(error).split('\n');
  const snippet = lines.findIndex((line) => /^\s*>?\s*\d+ \|/.test(line));
  return lines
    .slice(0, snippet < 0 ? lines.length : snippet)
    .join('\n')
    .trimEnd();
}

/** The failure message README.md quotes: the fenced block right after the marker comment. */
function readmeQuote(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const match = /<!-- playwright-failure-message -->\s*```text\n([\s\S]*?)\n```/.exec(readme);
  if (!match) throw new Error('README.md has no <!-- playwright-failure-message --> block');
  return match[1]!.trimEnd();
}

describe('examples/playwright, run with Playwright Test', () => {
  let results: Outcome[] = [];
  let stderr = '';

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'lib/playwright/index.js'))) throw new Error('lib/playwright/ is not built: run `npm run build`');
    const dir = mkdtempSync(join(tmpdir(), 'ri-pw-examples-'));
    const reportFile = join(dir, 'report.json');
    try {
      const code = await new Promise<number | null>((done, fail) => {
        const child = spawn(process.execPath, [PLAYWRIGHT_CLI, 'test', '-c', 'examples/playwright', '--reporter=json', '--output', join(dir, 'out')], {
          cwd: ROOT,
          // The deliberately failing project is left out of the suite unless asked for.
          env: { ...process.env, RI_DELIBERATE_FAILURE: '1', PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile, FORCE_COLOR: '0' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', fail);
        child.on('close', done);
      });
      // Exit 1: the deliberate failure. Anything else: Playwright itself could not run.
      expect(code, stderr).toBe(1);
      results = outcomes(JSON.parse(readFileSync(reportFile, 'utf8')) as JsonSuite);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('passes every sample test: socket.io, graphql-ws, SSE, long-polling, a fault and the recovery', () => {
    const lab = results.filter((r) => r.project === 'lab');
    expect(lab.map((r) => r.title).sort()).toEqual([
      'SSE feed resumes with Last-Event-ID',
      'graphql-ws subscription keeps its socket alive',
      'held long-polls waste little',
      'socket.io recovers from 3 s offline',
      'socket.io upgrades to a WebSocket that heartbeats',
    ]);
    for (const r of lab) expect(r, `${r.title}: ${r.errors.map(stripAnsi).join('\n')}`).toMatchObject({ status: 'expected' });
  });

  it('fails the deliberate assertion with the message the README quotes', () => {
    const deliberate = results.filter((r) => r.project === 'deliberate-failure');
    expect(deliberate).toHaveLength(1);
    expect(deliberate[0]!.status).toBe('unexpected');
    const message = matcherMessage(deliberate[0]!.errors[0] ?? '');
    expect(message).toContain('expect(rt).toHaveChannel(expected) failed');
    expect(anyPort(message)).toBe(anyPort(readmeQuote()));
  });
});
