/**
 * `audit` in CI, end to end with the built extension in real Chromium against the demo lab:
 * - the commands of examples/ci/github-actions.yml and examples/ci/gitlab-ci.yml, taken from
 *   the files and run as the CI systems run them (the lab started by their own step, in a
 *   scratch folder that stands for the checkout), and the files they write checked: JUnit
 *   XML parsed, the Markdown summary (and $GITHUB_STEP_SUMMARY), summary.json, the reports;
 * - the same command with a failing rule, --runs 2, an unreachable page and a token in the
 *   URLs under redaction: annotations, JUnit failures and errors, per-run outcomes, exit
 *   code, and the token in no output;
 * - a bad config: every bad field named, nothing run, nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { all, parseCommand, parseXml } from '../support/ci-formats.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** A credential in page URLs that --redact must keep out of every output. */
const TOKEN = 's3cr3t-0f-the-page';
const EXAMPLES = join(ROOT, 'examples/ci');
/** What a checkout needs for the examples' commands; the rest of the repository stays out of the scratch folder. */
const LINKED = ['package.json', 'node_modules', 'bin', 'src', 'examples'];
/**
 * Copied, not linked: lab/server.ts starts only when run as the main module, which it tells
 * by comparing its own (real) path with argv[1], and through a link the two differ.
 */
const COPIED = ['lab'];

interface Shell {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Processes started here (a shell and what it left in the background, e.g. the lab), by process group. */
const groups: number[] = [];
let tmp: string;

/** Run a script in bash as a CI runner does (`bash -eo pipefail`), in its own process group so that its background jobs can be ended. */
function bash(script: string, cwd: string, env: Record<string, string>): Promise<Shell> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid) groups.push(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    // 'exit', not 'close': a background job (the lab) keeps the pipes open after the shell is done.
    child.on('exit', (code) => setTimeout(() => resolvePromise({ code, stdout, stderr }), 50));
  });
}

function freePort(): Promise<number> {
  return new Promise((res) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
  });
}

/** A scratch folder standing for the checkout: the example's outputs land there, not in the repository. */
function checkout(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const entry of LINKED) symlinkSync(join(ROOT, entry), join(dir, entry));
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  return dir;
}

interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
}

function githubJob(): { env: Record<string, string>; steps: GithubStep[]; container: string } {
  const workflow = yaml.load(readFileSync(join(EXAMPLES, 'github-actions.yml'), 'utf8')) as { jobs: Record<string, { env: Record<string, string>; steps: GithubStep[]; container: string }> };
  return workflow.jobs['realtime-audit']!;
}

function gitlabJob(): { image: string; variables: Record<string, string>; before_script: string[]; script: string[]; artifacts: { when: string; paths: string[]; reports: { junit: string } } } {
  const config = yaml.load(readFileSync(join(EXAMPLES, 'gitlab-ci.yml'), 'utf8')) as Record<string, ReturnType<typeof gitlabJob>>;
  return config['realtime-audit']!;
}

function step(steps: GithubStep[], name: string): string {
  const found = steps.find((s) => s.name === name);
  if (!found?.run) throw new Error(`no step "${name}" with a run: in github-actions.yml`);
  return found.run;
}

/** The JUnit file of the examples' three lab pages, all passing. */
function expectPassingJunit(file: string): void {
  const root = parseXml(readFileSync(file, 'utf8'));
  expect(root.attributes).toMatchObject({ tests: '7', failures: '0', errors: '0' });
  const suites = all(root, 'testsuite');
  expect(suites.map((s) => s.attributes.name)).toEqual(['ws-heartbeat', 'graphql-ws', 'polling-etag']);
  expect(all(suites[0]!, 'testcase').map((c) => c.attributes.name)).toEqual(['--assert heartbeat<=30s', '--assert idle<=45s', '--assert reconnects<=0', '--fail-on error']);
  expect(all(suites[1]!, 'testcase').map((c) => c.attributes.name)).toEqual(['--assert heartbeat<=30s@/graphql', '--fail-on error']);
  expect(all(suites[0]!, 'property').find((p) => p.attributes.name === 'url')!.attributes.value).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/pages\/websocket\.html\?mode=ws-heartbeat&scale=0\.2$/);
}

/** The reports of every page and the summary in the out dir. */
function expectReports(dir: string): void {
  for (const name of ['ws-heartbeat', 'graphql-ws', 'polling-etag']) {
    const report = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
    expect(report.version).toBe(1);
    expect(report.channels.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, `${name}.html`), 'utf8')).toMatch(/^<!doctype html>/i);
  }
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  expect(summary).toMatchObject({ version: 1, judge: 'median', runs: 1, code: 0 });
  expect(summary.pages.map((p: { name: string; ok: boolean }) => [p.name, p.ok])).toEqual([
    ['ws-heartbeat', true],
    ['graphql-ws', true],
    ['polling-etag', true],
  ]);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ri-audit-ci-'));
});

afterAll(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('audit in CI', { timeout: 150_000 }, () => {
  it.concurrent('runs the GitHub Actions workflow\'s commands: reports, JUnit, Markdown on $GITHUB_STEP_SUMMARY, no annotation when all pass', async () => {
    const job = githubJob();
    expect(job.container).toMatch(/bookworm/);
    const names = job.steps.map((s) => s.name ?? s.uses);
    expect(names).toEqual(['actions/checkout@v4', 'Install Chromium', 'Install dependencies', 'Build the extension', 'Start the demo lab', 'Audit the demo lab', 'Keep the reports']);
    expect(step(job.steps, 'Install Chromium')).toContain('apt-get install -y -q chromium');
    const keep = job.steps.at(-1)!;
    expect(keep).toMatchObject({ if: 'always()', uses: 'actions/upload-artifact@v4', with: { path: 'realtime-inspector-reports/' } });

    const dir = checkout('github');
    const env = { ...job.env, LAB_PORT: String(await freePort()), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md'), CI: 'true' };
    const lab = await bash(step(job.steps, 'Start the demo lab'), dir, env);
    expect(lab.code, lab.stdout + lab.stderr).toBe(0);
    const audit = await bash(step(job.steps, 'Audit the demo lab'), dir, env);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).not.toMatch(/^::/m);
    expect(audit.stderr).toContain('[ws-heartbeat] PASS --assert heartbeat<=30s');

    const out = join(dir, 'realtime-inspector-reports');
    expectPassingJunit(join(out, 'junit.xml'));
    expectReports(out);
    const markdown = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8')).toBe(markdown);
    expect(markdown).toContain('### Realtime Inspector audit: ✅ 3 pages passed');
    expect(markdown).toContain('| ws-heartbeat | ✅ pass | 4/4 |');
    expect(markdown).toContain('| polling-etag | ✅ pass | 1/1 |');
  });

  it.concurrent('runs the GitLab job\'s script: the JUnit report and artifacts it declares exist', async () => {
    const job = gitlabJob();
    expect(job.image).toMatch(/bookworm/);
    expect(job.before_script).toEqual(['apt-get update -q && apt-get install -y -q chromium', 'npm ci', 'npm run build']);
    const dir = checkout('gitlab');
    const env = { ...job.variables, LAB_PORT: String(await freePort()), GITLAB_CI: 'true', CI: 'true' };
    // GitLab runs a job's script lines in one shell, one after the other.
    const run = await bash(job.script.join('\n'), dir, env);
    expect(run.code, run.stderr).toBe(0);
    expect(job.artifacts.when).toBe('always');
    expectPassingJunit(join(dir, job.artifacts.reports.junit));
    for (const path of job.artifacts.paths) expect(existsSync(join(dir, path))).toBe(true);
    expectReports(join(dir, 'realtime-inspector-reports'));
  });

  it.concurrent('with a failing rule, two runs, an unreachable page and --redact: error annotations, JUnit failures and errors, each run\'s outcome, exit 68', async () => {
    const dir = checkout('failing');
    const labPort = await freePort();
    const closedPort = await freePort();
    const job = githubJob();
    const env = { LAB_PORT: String(labPort), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md') };
    expect((await bash(step(job.steps, 'Start the demo lab'), dir, env)).code).toBe(0);
    writeFileSync(
      join(dir, 'failing.json'),
      JSON.stringify({
        baseUrl: 'http://127.0.0.1:8080',
        // With --redact, a token in a page's URL must reach no output.
        defaults: { duration: '10s', redact: true },
        pages: [
          { name: 'ws-heartbeat', url: `/pages/websocket.html?mode=ws-heartbeat&scale=0.2&token=${TOKEN}`, asserts: ['heartbeat<=1s', 'reconnects<=0'] },
          { name: 'down', url: `http://127.0.0.1:${closedPort}/?token=${TOKEN}` },
        ],
      }),
    );
    // The workflow's audit command, on this config, with --runs 2.
    const command = step(job.steps, 'Audit the demo lab').replace('examples/ci/audit.config.json', 'failing.json');
    const audit = await bash(`${command} --runs 2`, dir, env);
    expect(audit.code, audit.stderr).toBe(68);
    const out = join(dir, 'realtime-inspector-reports');
    for (const [what, text] of [
      ['stdout', audit.stdout],
      ['stderr', audit.stderr],
      ...readdirSync(out).map((f) => [f, readFileSync(join(out, f), 'utf8')]),
      ['$GITHUB_STEP_SUMMARY', readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8')],
    ]) {
      expect(text, what).not.toContain(TOKEN);
    }

    const commands = audit.stdout
      .split('\n')
      .filter((l) => l.startsWith('::'))
      .map(parseCommand);
    expect(commands.map((c) => `${c.name} ${c.properties.title}`)).toEqual(['error Realtime audit ws-heartbeat: --assert heartbeat<=1s', 'error Realtime audit down: not audited']);
    expect(commands[0]!.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/pages\/websocket\.html\?mode=ws-heartbeat&scale=0\.2&token=%5BREDACTED%5D\nFAIL --assert heartbeat<=1s: passed in 0 of 2 runs \(median: more than half needed\) · per run: [^\n]+ FAIL · [^\n]+ FAIL\nrun 1: FAIL websocket ws:\/\/127\.0\.0\.1:\d+\/ws\/heartbeat/);
    // The redaction rule for URL tokens takes the message's ':' after the URL with the token.
    expect(commands[1]!.message).toMatch(/cannot load http:\/\/127\.0\.0\.1:\d+\/\?token=%5BREDACTED%5D:? net::ERR_CONNECTION_REFUSED/);

    const root = parseXml(readFileSync(join(out, 'junit.xml'), 'utf8'));
    expect(root.attributes).toMatchObject({ tests: '3', failures: '1', errors: '1' });
    const [ws, down] = all(root, 'testsuite');
    expect(all(ws!, 'failure').map((f) => f.attributes.type)).toEqual(['assert']);
    expect(all(ws!, 'property').find((p) => p.attributes.name === 'runs')!.attributes.value).toBe('2');
    expect(all(down!, 'error')[0]!.attributes.type).toBe('exit 68');

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ runs: 2, judge: 'median', code: 68 });
    const [wsPage, downPage] = summary.pages;
    expect(wsPage.runs.map((r: { run: number; failed: number; error: unknown }) => [r.run, r.failed, r.error])).toEqual([
      [1, 1, null],
      [2, 1, null],
    ]);
    expect(wsPage.gates.map((g: { spec: string; passes: number }) => [g.spec, g.passes])).toEqual([
      ['heartbeat<=1s', 0],
      ['reconnects<=0', 2],
    ]);
    expect(wsPage.channels[0].key).toMatch(/\/ws\/heartbeat\?every$/);
    expect(wsPage.channels[0].seenIn).toBe(2);
    expect(downPage).toMatchObject({ ok: false, code: 68, representativeRun: null, files: { json: null, html: null } });
    expect(existsSync(join(out, 'ws-heartbeat.json'))).toBe(true);
    expect(existsSync(join(out, 'down.json'))).toBe(false);

    const markdown = readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8');
    expect(markdown).toContain('### Realtime Inspector audit: ❌ 2 of 2 pages failed');
    expect(markdown).toContain('Each page was audited 2 times and judged by the median');
    expect(markdown).toContain('| down | ❌ not audited (exit 68) |');
    expect(markdown).toMatch(/- ❌ <code>--assert heartbeat&lt;=1s: passed in 0 of 2 runs/);
  });

  it.concurrent('refuses a bad config before anything runs, naming every bad field, and writes nothing', async () => {
    const dir = checkout('bad-config');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ runs: 'three', pages: [{ url: '/a', duration: 'soon' }, { url: '/b', asserts: ['heartbeat<=30'] }, { name: 'x' }] }));
    const run = await bash('npx realtime-inspector audit --config bad.json --base-url http://127.0.0.1:9 --junit out/junit.xml', dir, { GITHUB_ACTIONS: 'true' });
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(
      [
        'realtime-inspector audit: bad.json: 3 problems',
        '  - runs: value "three": expected a whole number from 1 to 20',
        '  - pages[0].duration: duration: "soon" is not a time (use e.g. 500ms, 10s, 2m)',
        '  - pages[2].url: required: the page to audit',
        'Run `realtime-inspector audit --help` for the options.',
        '',
      ].join('\n'),
    );
    expect(run.stdout).toBe('');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, 'realtime-inspector-reports'))).toBe(false);
  });
});
