/**
 * `audit` end to end, with the built extension in real Chromium against the lab:
 * - every lab page, audited in parallel tabs of one browser (the same runner the CLI
 *   uses), yields the kind, protocol, heartbeat, backoff and findings its catalog entry states;
 * - the CLI itself: exit codes of --assert and --fail-on, --json validated against
 *   docs/report.schema.json, and the errors for bad usage, an unreachable URL, a missing
 *   build and a missing browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { LAB_TOKEN, startLab, type Lab } from '../../lab/server.ts';
import { LAB_PAGES, auditPlan, labPath, mainChannel, pageOrigin, type LabPage } from '../../lab/catalog.ts';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { auditPage, type AuditRun } from '../../src/cli/audit-run.ts';
import { CliError } from '../../src/cli/audit-exit.ts';
import type { ChannelReport } from '../../src/core/report-types.ts';

/** Lab timings at a fifth of their real values; pages whose analysis needs more keep their own minimum. */
const SCALE = 0.2;
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/realtime-inspector.mjs');

let lab: Lab;
let session: InspectorSession;
/** Every lab page's audit, started in beforeAll and awaited by its test. */
const runs = new Map<string, Promise<AuditRun | Error>>();
let tmp: string;

/**
 * Lab pages audited at once. All fifteen side by side, next to the CLI tests' own
 * browsers, starved the page timers on a 2-core CI machine (10 polls where 20 were
 * due), which no analysis can see through; five at a time keep the timing the pages ask for.
 */
const PARALLEL_AUDITS = 5;

/** Audit every lab page, longest first, at most PARALLEL_AUDITS at a time. */
function auditAll(): void {
  const queue = [...LAB_PAGES].sort((a, b) => auditPlan(b, SCALE).durationMs - auditPlan(a, SCALE).durationMs);
  const settle = new Map<string, (run: AuditRun | Error) => void>();
  for (const page of queue) runs.set(page.id, new Promise((resolve) => settle.set(page.id, resolve)));
  const lane = async () => {
    for (let page = queue.shift(); page; page = queue.shift()) {
      const plan = auditPlan(page, SCALE);
      const run = await auditPage(session, { url: `${pageOrigin(lab.url, page.id)}${plan.path}`, durationMs: plan.durationMs, faults: [] }).catch((e: Error) => e);
      settle.get(page.id)!(run);
    }
  };
  for (let i = 0; i < PARALLEL_AUDITS; i++) void lane();
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ri-audit-'));
  lab = await startLab({ port: 0, scale: SCALE });
  session = await launchInspector();
}, 60_000);

afterAll(async () => {
  await session?.close();
  await lab?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function describeChannels(channels: ChannelReport[]): string {
  return channels.map((c) => `${c.kind}/${c.protocol} ${c.url} (${c.evidence})`).join('; ');
}

/** The page's main channel: the one on its endpoint with the expected kind, else the first on its endpoint. */
function channelOf(page: LabPage, run: AuditRun): ChannelReport {
  const channel = mainChannel(page, run.report.channels);
  if (!channel) throw new Error(`${page.id}: no channel on ${page.expect.channel}: ${describeChannels(run.report.channels)}`);
  return channel;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [BIN, 'audit', ...args], { env: { ...process.env, ...env }, timeout: 230_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

function pageUrl(id: string): string {
  const page = LAB_PAGES.find((p) => p.id === id)!;
  return `${lab.url}${labPath(page)}`;
}

// The CLI tests run after the lab pages' audits, for the same reason: the suites are not
// concurrent (vitest runs adjacent concurrent suites together), only the tests within each.
describe('audit of every lab page', { timeout: 240_000 }, () => {
  beforeAll(auditAll);

  it.concurrent.each(LAB_PAGES.map((p) => [p.id, p] as const))('%s', async (_id, page) => {
    const run = await runs.get(page.id);
    if (run instanceof Error) throw run;
    expect(run, 'audit ran').toBeDefined();
    const channel = channelOf(page, run!);
    const retries = channel.reconnects.map((r) => Math.round(r.delayMs)).join(', ');
    const context = `${page.id}: ${describeChannels(run!.report.channels)}\n  delays ${retries}; backoff ${JSON.stringify({ ...channel.backoff, delaysMs: undefined })}`;
    expect(channel.kind, context).toBe(page.expect.kind);
    expect(channel.protocol, context).toBe(page.expect.protocol);
    if (page.expect.heartbeat === true) expect(channel.heartbeat?.intervalMs, context).toBeGreaterThan(0);
    if (page.expect.heartbeat === false) {
      expect(channel.heartbeat, context).not.toBeNull();
      expect(channel.heartbeat!.intervalMs, context).toBeNull();
    }
    if (page.expect.backoff === null) expect(channel.backoff, context).toBeNull();
    else if (page.expect.backoff !== undefined) expect(channel.backoff?.model, context).toBe(page.expect.backoff);
    const codes = channel.findings.map((f) => f.code);
    for (const code of page.expect.findings) expect(codes, context).toContain(code);
    for (const code of page.expect.absent) expect(codes, context).not.toContain(code);
    expect(run!.report.summary.droppedEvents).toBe(0);
    expect(run!.pageErrors).toEqual([]);
  });
});

describe('the audit command', { timeout: 240_000 }, () => {
  it.concurrent('exits 0 when every gate passes on a page behind a login (--header), a stall included, and its --json validates against docs/report.schema.json', async () => {
    const url = `${lab.url}/private${labPath(LAB_PAGES.find((p) => p.id === 'ws-heartbeat')!)}`;
    const out = join(tmp, 'report.json');
    const html = join(tmp, 'report.html');
    // The page pings every 3 s and gives up 2 s after an unanswered ping: a 10 s stall is noticed.
    const r = await cli([url, '--duration', '20s', '--header', `Authorization: Bearer ${LAB_TOKEN}`, '--json', out, '--html', html, '--assert', 'heartbeat<=30s', '--fault', 'stall@6s:10s', '--assert', 'detect<=10s', '--fail-on', 'error']);
    expect(r.stderr).toMatch(/recording… \d+s left · \d+ channels? · \d+ events/);
    expect(r.stderr).toContain('PASS --assert heartbeat<=30s');
    expect(r.stderr).toContain('PASS --assert detect<=10s');
    expect(r.stdout).toMatch(/stall [\d.]+ s: closed the silent connection after [\d.]+ s/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[websocket\] websocket · json\s+ws:\/\/127\.0\.0\.1:\d+\/ws\/heartbeat/);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.page.url).toBe(url);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it.concurrent('exits 2 when an --assert fails, with options from --config and the login cookie from it', async () => {
    const url = `${lab.url}/private${labPath(LAB_PAGES.find((p) => p.id === 'ws-heartbeat')!)}`;
    const config = join(tmp, 'audit.json');
    writeFileSync(config, JSON.stringify({ url, duration: '20s', cookies: [`lab_session=${LAB_TOKEN}`], asserts: ['reconnects<=0', 'heartbeat<=1s'] }));
    const r = await cli(['--config', config]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('PASS --assert reconnects<=0');
    expect(r.stderr).toMatch(/FAIL --assert heartbeat<=1s\n\s+FAIL websocket ws:\/\/127\.0\.0\.1:\d+\/ws\/heartbeat\S*: \d/);
  });

  it.concurrent('exits 1 on --fail-on warning for a wasteful poll (with a fault due at 0 s), and 3 when an --assert fails too', async () => {
    const [failOn, both] = await Promise.all([
      cli([pageUrl('polling-naive'), '--duration', '12s', '--fail-on', 'warning', '--fault', 'latency@0s:300ms']),
      cli([pageUrl('polling-naive'), '--duration', '12s', '--fail-on', 'warning', '--assert', 'waste<=0.5']),
    ]);
    expect(failOn.code, failOn.stderr).toBe(1);
    // A fault due at 0 s waits for the page's hooks to connect instead of being lost.
    expect(failOn.stderr).toContain('faults: latency@0s:300ms');
    expect(failOn.stderr).not.toContain('fault not applied');
    expect(failOn.stderr).toMatch(/FAIL --fail-on warning: \d+ findings?\n\s+warning polling-(waste|load)-high/);
    expect(both.code, both.stderr).toBe(3);
    expect(both.stderr).toMatch(/FAIL --assert waste<=0\.5\n\s+FAIL polling http:\/\/127\.0\.0\.1:\d+\/api\/poll\/naive\S*: \d+%/);
  });

  it.concurrent('reports a page that crashes while recording as exit 70', async () => {
    const url = pageUrl('ws-heartbeat');
    const audit = auditPage(session, { url, durationMs: 60_000, faults: [] }).catch((e: unknown) => e);
    let page;
    for (let i = 0; i < 600 && !page; i++) {
      page = session.context.pages().find((p) => p.url() === url);
      if (!page) await new Promise((r) => setTimeout(r, 100));
    }
    // The page is listed once its navigation commits, before its script defines labLog.
    await page!.waitForFunction(() => ((window as unknown as { labLog?: Array<{ kind: string }> }).labLog ?? []).some((e) => e.kind === 'message'));
    const cdp = await session.context.newCDPSession(page!);
    await cdp.send('Page.crash').catch(() => {});
    const error = await audit;
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(70);
    expect((error as CliError).message).toBe(`the page crashed while recording ${url}`);
  });

  it.concurrent('explains bad usage (64), a refused connection or a 401 (68), a missing build and a missing browser (69)', async () => {
    const closedPort = await new Promise<number>((res) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => res(port));
      });
    });
    const [usage, refused, anonymous, noBuild, noBrowser] = await Promise.all([
      cli([pageUrl('ws-idle'), '--fault', 'explode@1s']),
      cli([`http://127.0.0.1:${closedPort}/`, '--duration', '2s']),
      cli([`${lab.url}/private${labPath(LAB_PAGES[0]!)}`, '--duration', '2s']),
      cli([pageUrl('ws-idle'), '--duration', '2s'], { RI_DIST: join(tmp, 'no-build') }),
      cli([pageUrl('ws-idle'), '--duration', '2s'], { CHROME_PATH: join(tmp, 'no-chrome') }),
    ]);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('--fault "explode@1s"');
    expect(refused.code, refused.stderr).toBe(68);
    expect(refused.stderr).toMatch(/cannot load http:\/\/127\.0\.0\.1:\d+\/: net::ERR_CONNECTION_REFUSED/);
    expect(anonymous.code, anonymous.stderr).toBe(68);
    expect(anonymous.stderr).toContain('the server answered 401 Unauthorized');
    expect(noBuild.code).toBe(69);
    expect(noBuild.stderr).toContain('run `npm run build`');
    expect(noBrowser.code).toBe(69);
    expect(noBrowser.stderr).toContain('apt-get install -y chromium');
  });
});

