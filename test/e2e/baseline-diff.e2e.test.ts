/**
 * Baselines end to end: the real CLI with the built extension in real Chromium audits the demo
 * lab's naive polling page twice (two page loads: the page's client id differs), and once more
 * with a deliberate regression (the same page at half the time scale polls twice as fast).
 * `audit --baseline --budget` passes the same page and fails the regression with exit code 4,
 * naming the breach; `diff` matches the channel across the runs in text, JSON and HTML.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../lab/server.ts';
import type { ReportDiff } from '../../src/core/diff/index.ts';
import type { Report } from '../../src/core/report-types.ts';
import { runCli } from '../support/cli.ts';

/** Polls every 500 ms at this scale (lab/pages/polling.html: 2 s × scale): 16 polls in DURATION. */
const SCALE = 0.25;
/** Polls every 250 ms: twice as often, and still a poll (polls under 200 ms apart are no poll: src/core/classify/polling.ts). */
const REGRESSION_SCALE = SCALE / 2;
const DURATION = '8s';

let lab: Lab;
let dir: string;
let pageUrl: string;
let budget: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ri-baseline-'));
  lab = await startLab({ port: 0, scale: SCALE });
  pageUrl = `${lab.url}/pages/polling.html?mode=polling-naive&scale=${SCALE}`;
  budget = join(dir, 'budget.json');
  writeFileSync(
    budget,
    JSON.stringify({
      maxRequestRateIncreasePercent: 50,
      // An 8 s capture holds 16 polls and one or two data changes: one poll more or less wasted
      // moves waste by 6 points between two loads of the same page.
      maxWasteIncreasePoints: 10,
      failOnKindChange: true,
      failOnBackoffModelChange: true,
      failOnNewFindings: 'error',
    }),
  );
});

afterAll(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const file = (name: string) => join(dir, name);
const readReport = (name: string) => JSON.parse(readFileSync(file(name), 'utf8')) as Report;

describe('audit --baseline --budget and diff, on the demo lab', { timeout: 180_000 }, () => {
  it('passes a second load of the same page, fails a page that polls twice as fast, and diffs them', async () => {
    const baseline = await runCli(['audit', pageUrl, '--duration', DURATION, '--json', file('baseline.json')]);
    expect(baseline.code, baseline.stderr).toBe(0);

    const [same, faster] = await Promise.all([
      runCli(['audit', pageUrl, '--duration', DURATION, '--json', file('same.json'), '--baseline', file('baseline.json'), '--budget', budget]),
      runCli(['audit', pageUrl.replace(`scale=${SCALE}`, `scale=${REGRESSION_SCALE}`), '--duration', DURATION, '--json', file('faster.json'), '--baseline', file('baseline.json'), '--budget', budget]),
    ]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toContain(`PASS budget (${budget} against ${file('baseline.json')}): no regression beyond the budget`);
    expect(faster.code, faster.stderr).toBe(4);
    expect(faster.stderr).toMatch(new RegExp(`FAIL budget \\(${budget.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} against .*baseline\\.json\\): 1 breach\\n`));
    expect(faster.stderr).toMatch(/ {5}polling http:\/\/127\.0\.0\.1:\d+\/api\/poll\/naive\?change=:n&client=\w+: request rate [\d.]+ req\/s → [\d.]+ req\/s \(\+\d+%, \d+ → \d+ requests\), budget \+50%\n/);

    // Two page loads: the poll's client id differs, so the channel URLs do too.
    const [a, b] = [readReport('baseline.json'), readReport('same.json')];
    expect(a.channels.map((c) => c.url)).not.toEqual(b.channels.map((c) => c.url));

    const [text, json] = await Promise.all([
      runCli(['diff', file('baseline.json'), file('same.json')]),
      runCli(['diff', file('baseline.json'), file('faster.json'), '--json', '--budget', budget, '--html', file('diff.html')]),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('1 matched, 0 only before, 0 only after');
    expect(text.stdout).toMatch(/[=~] \[polling\] fetch · json {2}http:\/\/127\.0\.0\.1:\d+\/api\/poll\/naive\?change=:n&client=\w+ {2}\(match 0\.\d\d\)/);

    expect(json.code).toBe(1);
    const diff = JSON.parse(json.stdout) as ReportDiff & { budget: { breaches: Array<{ rule: string }> } };
    expect(diff.channels).toHaveLength(1);
    expect(diff.onlyBefore).toEqual([]);
    expect(diff.onlyAfter).toEqual([]);
    expect(diff.channels[0]!.requestRate.percent).toBeGreaterThan(50);
    expect(diff.budget.breaches.map((br) => br.rule)).toEqual(['maxRequestRateIncreasePercent']);

    const page = readFileSync(file('diff.html'), 'utf8');
    expect(page).toContain('Realtime Inspector diff');
    expect(page).toMatch(/<tr class="changed"><td><span class="mark">\*<\/span> requests<\/td>/);
  });
});
