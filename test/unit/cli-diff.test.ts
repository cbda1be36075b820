/**
 * `realtime-inspector diff` as a user runs it (node bin/realtime-inspector.mjs), on real captures
 * of the demo lab (test/fixtures/diff/): captures and report JSON alike as inputs, the text,
 * JSON and HTML outputs, the budget's exit code and messages, HTML escaping of page data, and
 * the errors for unusable files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/core/index.ts';
import { importCaptureOrHar } from '../../src/core/formats/index.ts';
import type { ReportDiff } from '../../src/core/diff/index.ts';
import type { Report } from '../../src/core/report-types.ts';
import { runCli } from '../support/cli.ts';
import { rawFromArgv, rawFromConfig, resolveOptions } from '../../src/cli/audit-args.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/diff');
const capture = (name: string) => join(FIXTURES, `${name}.json`);
const report = (name: string): Report => analyzeCapture(importCaptureOrHar(readFileSync(capture(name), 'utf8')).events);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ri-diff-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each case spawns Node + tsx; on a loaded machine that takes seconds.
describe('realtime-inspector diff', { timeout: 180_000 }, () => {
  it('compares a capture with a report of another page load: text by default, the budget verdict and its exit code', async () => {
    const after = join(dir, 'storm.report.json');
    await writeFile(after, JSON.stringify(report('reconnect-storm.run2')));
    const budget = join(dir, 'budget.json');
    await writeFile(budget, JSON.stringify({ failOnBackoffModelChange: true, failOnNewFindings: 'error' }));
    const r = await runCli(['diff', capture('reconnect-backoff.run1'), after, '--budget', budget]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Realtime Inspector diff\n {2}before: http:\/\/reconnect-backoff\.localhost:8080\/pages\/reconnect\.html/);
    expect(r.stdout).toContain('1 matched, 0 only before, 0 only after');
    expect(r.stdout).toMatch(/~ \[websocket\] websocket · json {2}ws:\/\/reconnect-storm\.localhost:8080\/ws\/flaky\?client=\w+&down=:n&every=:n&up=:n {2}\(match 0\.\d\d\)/);
    expect(r.stdout).toMatch(/\* backoff +exponential .* → constant .* \[model changed/);
    expect(r.stdout).toMatch(/\+ error reconnect-without-backoff: /);
    expect(r.stdout).toContain(`FAIL budget (${budget}): 2 breaches`);
    expect(r.stdout).toMatch(/ {5}websocket ws:\/\/reconnect-storm\.localhost:8080\/ws\/flaky\?\S+: backoff model changed: exponential/);
  });

  it('--json: the diff as JSON, with the budget; a page against its next load passes', async () => {
    const budget = join(dir, 'default-like.json');
    await writeFile(budget, JSON.stringify({ maxWasteIncreasePoints: 5, maxRequestRateIncreasePercent: 50, failOnNewFindings: 'error' }));
    const r = await runCli(['diff', capture('socketio-ws.run1'), capture('socketio-ws.run2'), '--json', '--budget', budget]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as ReportDiff & { budget: { breaches: unknown[]; source: string } };
    expect(json.version).toBe(1);
    expect(json.channels.map((c) => [c.after.kind, c.after.protocol])).toEqual([
      ['long-polling', 'socket.io'],
      ['websocket', 'socket.io'],
    ]);
    expect(json.channels.every((c) => c.before.sampleUrl !== c.after.sampleUrl)).toBe(true);
    expect(json.onlyBefore).toEqual([]);
    expect(json.onlyAfter).toEqual([]);
    expect(json.budget).toEqual({ breaches: [], source: budget });
  });

  it('--html escapes every piece of page data', async () => {
    const hostile = (r: Report): Report => {
      const copy = structuredClone(r);
      copy.page.title = '</title><script>alert("title")</script>';
      for (const c of copy.channels) {
        c.url = c.url.replace('/api/poll/naive', '/api/poll/<img src=x onerror=alert(1)>');
        c.id = c.id.replace('/api/poll/naive', '/api/poll/<img src=x onerror=alert(1)>');
        c.sampleUrl = `${c.sampleUrl}&x="><script>alert(2)</script>`;
        c.findings.push({ severity: 'error', code: '<b>code</b>', message: '<iframe src="javascript:alert(3)">', evidence: {}, advice: '' });
      }
      return copy;
    };
    const before = join(dir, 'hostile-before.json');
    const after = join(dir, 'hostile-after.json');
    await writeFile(before, JSON.stringify(hostile(report('polling-naive.run1'))));
    const afterReport = hostile(report('polling-naive.run2'));
    afterReport.channels[0]!.findings.push({ severity: 'warning', code: 'new', message: '<svg onload=alert(4)>', evidence: {}, advice: '' });
    await writeFile(after, JSON.stringify(afterReport));
    const html = join(dir, 'diff.html');
    const r = await runCli(['diff', before, after, '--html', html]);
    expect(r.code).toBe(0);
    const page = await readFile(html, 'utf8');
    expect(page).toContain("content=\"default-src 'none'; style-src 'unsafe-inline'\"");
    for (const raw of ['<script', '<img', '<iframe', '<svg', '<b>']) expect(page).not.toContain(raw);
    expect(page).toContain('&lt;/title&gt;&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;');
    expect(page).toContain('/api/poll/&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('&lt;svg onload=alert(4)&gt;');
    expect(page).toMatch(/<tr class="changed">|<tr><td>requests<\/td>/);
  });

  it('says what is wrong with unusable inputs, and exits 2', async () => {
    const notReport = join(dir, 'bad-report.json');
    await writeFile(notReport, JSON.stringify({ version: 1, page: { url: '', title: '' }, capturedAt: 'x', durationMs: 1, summary: {}, channels: [{ id: 'a', url: 'b', kind: 'chatty', findings: 'none' }] }));
    const badBudget = join(dir, 'bad-budget.json');
    await writeFile(badBudget, '{"maxRequestRateIncreasePercent": "lots"}');
    const [missing, invalid, budget, usage] = await Promise.all([
      runCli(['diff', join(dir, 'nope.json'), capture('ws-idle.run1')]),
      runCli(['diff', notReport, capture('ws-idle.run1')]),
      runCli(['diff', capture('ws-idle.run1'), capture('ws-idle.run2'), '--budget', badBudget]),
      runCli(['diff', capture('ws-idle.run1')]),
    ]);
    expect([missing.code, invalid.code, budget.code, usage.code]).toEqual([2, 2, 2, 2]);
    expect(missing.stderr).toBe(`realtime-inspector diff: ${join(dir, 'nope.json')}: no such file\n`);
    expect(invalid.stderr).toContain(`${notReport}: not a valid report:\n  channels[0].sampleUrl: expected a string, got nothing\n  channels[0].kind: expected one of polling, long-polling, sse, websocket, streaming, one-off, got "chatty"`);
    expect(invalid.stderr).toMatch(/\n {2}\(and 2 more\)\n$/);
    expect(budget.stderr).toBe(`realtime-inspector diff: ${badBudget}: invalid budget:\n  "maxRequestRateIncreasePercent" must be a number ≥ 0, got "lots"\n`);
    expect(usage.stderr).toMatch(/^realtime-inspector diff: expected two files \(before and after\), got 1\n\nUsage: realtime-inspector diff/);
  });

  it('audit refuses a missing baseline, an invalid budget and a budget without baseline before starting a browser (exit 64)', async () => {
    const badBudget = join(dir, 'audit-bad-budget.json');
    await writeFile(badBudget, '{"failOnNewFindings": "sometimes"}');
    const [missing, invalid, alone] = await Promise.all([
      runCli(['audit', 'http://127.0.0.1:9/', '--baseline', join(dir, 'none.json')]),
      runCli(['audit', 'http://127.0.0.1:9/', '--baseline', capture('ws-idle.run1'), '--budget', badBudget]),
      runCli(['audit', 'http://127.0.0.1:9/', '--budget', badBudget]),
    ]);
    expect([missing.code, invalid.code, alone.code]).toEqual([64, 64, 64]);
    expect(missing.stderr).toBe(`realtime-inspector audit: ${join(dir, 'none.json')}: no such file\n`);
    expect(invalid.stderr).toBe(`realtime-inspector audit: ${badBudget}: invalid budget:\n  "failOnNewFindings" must be "error", "warning", "info" or false, got "sometimes"\n`);
    expect(alone.stderr).toContain('realtime-inspector audit: --budget needs --baseline <report.json> to compare with');
  });

  it('audit takes --baseline and --budget from flags or a --config file', () => {
    const fromConfig = resolveOptions(rawFromArgv(['http://a.example/']).raw, rawFromConfig({ baseline: 'base.json', budget: 'budget.json' }, 'audit.json'));
    expect([fromConfig.baseline, fromConfig.budget]).toEqual(['base.json', 'budget.json']);
    const fromFlags = resolveOptions(rawFromArgv(['http://a.example/', '--baseline', 'flag.json']).raw, rawFromConfig({ baseline: 'base.json' }, 'audit.json'));
    expect([fromFlags.baseline, fromFlags.budget]).toEqual(['flag.json', null]);
    expect(() => rawFromConfig({ baseline: 3 }, 'audit.json')).toThrow('audit.json: "baseline" must be a string');
  });
});
