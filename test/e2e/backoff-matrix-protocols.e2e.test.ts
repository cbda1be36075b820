/**
 * Backoff matrix, protocol clients (issue 13, part 2): @microsoft/signalr,
 * phoenix, @rails/actioncable and centrifuge, each with its default reconnect
 * options in real Chromium with the built extension, audited through the CLI's
 * code path (src/cli/audit-run.ts) in parallel tabs of one browser, under three
 * failures of ~20 s: the server down (connections refused), the server
 * accepting each WebSocket and closing it at once, and the page offline
 * (`--fault offline@5s:20s`).
 *
 * Each case asserts what the library's documented model says a report must
 * state (test/e2e/fixtures/matrix-protocol-servers.ts cites the source of every
 * constant), not what today's fitter answers: with enough delays, the model,
 * its parameters, its jitter and the findings that follow; with too few, no
 * verdict (null or low confidence) or the documented one, never another.
 *
 * The cases run with RI_BACKOFF_MATRIX=1 (all at once, about 65 s; RI_MATRIX_ONLY=<client id>,…
 * runs some); RI_MATRIX_OUT=<dir> writes each case's report channel, reconnect list and
 * connections as JSON there (regression data for the fitter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchInspector, type InspectorSession } from '../../src/cli/browser.ts';
import { readAuditOptions } from '../../src/cli/audit.ts';
import { auditPage, type AuditRun } from '../../src/cli/audit-run.ts';
import { parseAssertion, type AuditOptions } from '../../src/cli/audit-args.ts';
import { judge as judgeGates } from '../../src/cli/audit-assert.ts';
import type { CaptureEvent } from '../../src/core/events.ts';
import type { Backoff, BackoffModel, ChannelReport, Report } from '../../src/core/report-types.ts';
import { FAILURE_AT_MS, FAILURE_MODES, FAILURE_MS, reconnectRows, type FailureMode } from './fixtures/backoff-matrix.ts';
import {
  PROTOCOL_CLIENTS,
  packageFile,
  packageVersion,
  startProtocolServer,
  type DocumentedBackoff,
  type ProtocolClient,
  type ProtocolClientId,
  type ProtocolServer,
} from './fixtures/matrix-protocol-servers.ts';

/** Off by default, with the other backoff matrix (backoff-matrix.e2e.test.ts), until the fitter of issue 13 lands. */
const RUN = process.env.RI_BACKOFF_MATRIX === '1';

/** A server's failure starts this long after the first working session (the offline fault, FAILURE_AT_MS after the page load). */
const SERVER_FAULT_AFTER_MS = 5_000;
const OFFLINE_FAULT = `offline@${FAILURE_AT_MS / 1000}s:${FAILURE_MS / 1000}s`;

/** What a report must say about one client under one failure. */
interface Expectation {
  model: BackoffModel;
  jitter: boolean;
  /** How the delays are randomised (the report's jitterKind, when it has one and can tell). */
  jitterKind: DocumentedBackoff['jitter'];
  /** Retry delays in the outage from which a verdict is due; with fewer, no verdict is right too. */
  verdictFrom: number;
  /** Problems with the fitted parameters, given a verdict. */
  params(backoff: Backoff): string[];
  /** Reset rules the delays contradict (the report's resetRule, when it has one). */
  wrongResets: string[];
  /** Finding codes on the channel that must, and must not, be there. */
  present: string[];
  absent: string[];
}

const near = (actual: number | null | undefined, expected: number, what: string, tolerance = 150 + expected * 0.05): string[] =>
  actual !== null && actual !== undefined && Math.abs(actual - expected) <= tolerance ? [] : [`${what} ${actual} is not ${expected} ± ${Math.round(tolerance)}`];

const within = (actual: number | null | undefined, low: number, high: number, what: string): string[] =>
  actual !== null && actual !== undefined && actual >= low && actual <= high ? [] : [`${what} ${actual} is not within ${low}..${high}`];

/** Delays under this are timer noise (the lab's and the fitter's floor): only their order of magnitude is checked. */
const NOISE_MS = 200;

function scheduleParams(scheduleMs: number[]): (b: Backoff) => string[] {
  return (b) => {
    const problems = b.delaysMs.length < scheduleMs.length ? [`delaysMs has ${b.delaysMs.length} entries, the schedule ${scheduleMs.length}`] : [];
    scheduleMs.forEach((expected, i) => {
      const actual = b.delaysMs[i];
      if (expected < NOISE_MS) problems.push(...within(actual, 0, NOISE_MS + 100, `delaysMs[${i}]`));
      else problems.push(...near(actual, expected, `delaysMs[${i}]`));
    });
    return problems;
  };
}

/** The documented model of each client, read for each failure. */
function expectation(client: ProtocolClient, mode: FailureMode): Expectation {
  const doc = client.documented;
  // Each of these libraries backs off and has a ceiling of several seconds (or gives up).
  const falseAlarms = ['reconnect-without-backoff', 'backoff-without-cap', 'backoff-cap-too-low'];
  // SignalR, ActionCable and centrifuge restart their count on their protocol's handshake, which an open
  // the server closes at once never reaches: 'uptime' reads that right, 'every-open' does not.
  const opensDoNotReset = mode === 'accept-close' ? ['every-open'] : [];
  switch (client.id) {
    case 'signalr':
    case 'signalr-negotiate':
      // 0, 2, 10, 30 s in every mode: the fourth retry comes 42 s after the loss, after the outage, and
      // succeeds. No randomisation: every client of a restarted server retries at the same instants.
      // With the negotiate request first, a retry that fails there opens no WebSocket: down or offline,
      // the socket's channel sees only the retry that works, and no verdict is due on it.
      return {
        model: 'schedule',
        jitter: false,
        jitterKind: doc.jitter,
        verdictFrom: 4,
        params: scheduleParams(doc.scheduleMs!),
        wrongResets: opensDoNotReset,
        present: ['backoff-without-jitter'],
        absent: falseAlarms,
      };
    case 'phoenix':
      if (mode === 'accept-close') {
        // Every socket opens before the server closes it, and an open restarts the list: a retry
        // every 10 ms for the whole outage, a storm the report must call one.
        return {
          model: 'fixed',
          jitter: false,
          jitterKind: doc.jitter,
          verdictFrom: 3,
          params: (b) => within(b.initialMs, 0, 100, 'initialMs'),
          wrongResets: ['never', 'uptime'],
          present: ['reconnect-without-backoff'],
          absent: ['backoff-without-cap', 'backoff-cap-too-low'],
        };
      }
      // The whole list (4.3 s), then 5 s steps: about 13 retries in 20 s.
      return {
        model: 'schedule',
        jitter: false,
        jitterKind: doc.jitter,
        verdictFrom: doc.scheduleMs!.length,
        params: (b) => [...scheduleParams(doc.scheduleMs!)(b), ...near(b.maxMs, doc.maxMs!, 'maxMs')],
        wrongResets: [],
        present: ['backoff-without-jitter'],
        absent: falseAlarms,
      };
    case 'actioncable':
      // The stale check reopens 6-18 s after the loss, then every 6.9-7.9 s, 7.9-9.1 s, …: two or three
      // retries in 20 s, 15 % apart with up to 15 % jitter, which cannot name the model.
      return {
        model: 'exponential',
        jitter: true,
        jitterKind: doc.jitter,
        verdictFrom: 6,
        // The ceiling comes at the tenth reopen (6 s · 1.15^10), long after the outage: none to report.
        params: (b) => [...within(b.factor, 1.05, 1.35, 'factor'), ...(b.maxMs === null ? [] : within(b.maxMs, doc.maxMs!, doc.maxMs! * 1.15 + 250, 'maxMs'))],
        wrongResets: opensDoNotReset,
        present: [],
        absent: [...falseAlarms, 'backoff-without-jitter'],
      };
    case 'centrifuge':
      // Uniform in [500, 500 + 500·2^k] ms: six to eight retries in 20 s. Each may fall anywhere down to
      // 0.5 s, so the growth shows only in the ceiling of the delays, doubling per retry: no verdict is
      // honest before about ten. Their means grow by 1.3-1.9 per retry at first, 2 later; the 20 s cap is out of reach.
      return {
        model: 'exponential',
        jitter: true,
        jitterKind: doc.jitter,
        verdictFrom: 10,
        params: (b) => [
          ...within(b.initialMs, 300, 1600, 'initialMs'),
          ...within(b.factor, 1.2, 3, 'factor'),
          // At the 20 s cap a delay is 20 s only when the draw reaches it (1 in 40): a lower plateau is noise.
          ...(b.maxMs === null ? [] : near(b.maxMs, doc.maxMs!, 'maxMs')),
        ],
        wrongResets: opensDoNotReset,
        present: [],
        absent: [...falseAlarms, 'backoff-without-jitter'],
      };
  }
}

/** A verdict the report itself marks as not to be trusted (confidence 'low'), when it says. */
function lowConfidence(b: Backoff): boolean {
  return 'confidence' in b && b.confidence === 'low';
}

/** What is wrong with the channel's backoff verdict and findings, given how many retries the outage saw. */
function judge(channel: ChannelReport, retries: number, want: Expectation): string[] {
  const b = channel.backoff;
  const codes = channel.findings.map((f) => f.code);
  const problems: string[] = [];
  const due = retries >= want.verdictFrom;
  if (b === null || lowConfidence(b)) {
    if (due) problems.push(`no verdict from ${retries} retries (${want.model} is due from ${want.verdictFrom})`);
  } else {
    if (b.model !== want.model) problems.push(`model ${b.model}, documented ${want.model}`);
    else problems.push(...want.params(b));
    if (b.jitter !== want.jitter) problems.push(`jitter ${b.jitter}, documented ${want.jitter}`);
    // 'unknown': randomised, too few delays to tell how; anything else must be the documented kind.
    const kind = 'jitterKind' in b ? b.jitterKind : 'unknown';
    if (kind !== 'unknown' && kind !== want.jitterKind) problems.push(`jitterKind ${kind}, documented ${want.jitterKind}`);
    const reset = 'resetRule' in b ? b.resetRule : 'unknown';
    if (typeof reset === 'string' && want.wrongResets.includes(reset)) problems.push(`resetRule ${reset} contradicts the library (${want.wrongResets.join(', ')} ruled out)`);
  }
  // Findings that state a verdict are due with it; false alarms are wrong whatever the evidence.
  if (due) for (const code of want.present) if (!codes.includes(code)) problems.push(`finding ${code} missing`);
  for (const code of want.absent) if (codes.includes(code)) problems.push(`finding ${code} is a false alarm`);
  return problems;
}

/** The client's other channels (SignalR's negotiate requests): no confident verdict but the documented model, no false alarm. */
function otherChannelProblems(channels: ChannelReport[], want: Expectation): string[] {
  return channels.flatMap((c) => [
    ...(c.backoff && !lowConfidence(c.backoff) && c.backoff.model !== want.model ? [`${c.kind} ${c.url}: model ${c.backoff.model}, documented ${want.model}`] : []),
    ...want.absent.filter((code) => c.findings.some((f) => f.code === code)).map((code) => `${c.kind} ${c.url}: finding ${code} is a false alarm`),
  ]);
}

/** `audit --assert backoff=<model> --assert jitter=<bool>` on the client's channel: what fails, or why a rule is refused. */
function gateProblems(report: Report, options: AuditOptions, channel: string, want: Expectation): string[] {
  const specs = [`backoff=${want.model}@${channel}`, `jitter=${want.jitter}@${channel}`];
  const asserts = [];
  const problems: string[] = [];
  for (const spec of specs) {
    try {
      asserts.push(parseAssertion(spec));
    } catch (error) {
      problems.push(`audit --assert ${spec} refused: ${(error as Error).message}`);
    }
  }
  const gates = judgeGates(report, { ...options, asserts });
  for (const v of gates.verdicts) if (!v.ok) problems.push(`audit --assert ${v.spec} fails: ${v.details.join('; ')}`);
  return problems;
}

interface CaseResult {
  /** The audit's options, parsed from its command line as the CLI does. */
  options: AuditOptions;
  run: AuditRun;
  server: ProtocolServer;
  /** Epoch ms the failure began (server fault or offline fault event). */
  faultAt: number;
}

const PROTOCOL_ID: Record<ProtocolClientId, string> = { signalr: 'signalr', 'signalr-negotiate': 'signalr', phoenix: 'phoenix', actioncable: 'actioncable', centrifuge: 'centrifugo' };

/** Long enough for the retry after the outage: SignalR's fourth comes 42 s after the loss. */
function durationMs(client: ProtocolClientId): number {
  return client.startsWith('signalr') ? 60_000 : client === 'phoenix' ? 40_000 : 50_000;
}

/** RI_MATRIX_ONLY=<client id>,… runs those clients only. */
const ONLY = process.env.RI_MATRIX_ONLY?.split(',') ?? null;
const CASES = (Object.keys(PROTOCOL_CLIENTS) as ProtocolClientId[]).filter((id) => !ONLY || ONLY.includes(id)).flatMap((id) => FAILURE_MODES.map((mode) => ({ name: `${id}-${mode}`, client: PROTOCOL_CLIENTS[id], mode })));

let session: InspectorSession;
const results = new Map<string, Promise<CaseResult | Error>>();
const servers: ProtocolServer[] = [];

async function runCase(client: ProtocolClient, mode: FailureMode, name: string): Promise<CaseResult> {
  const server = await startProtocolServer(client, mode === 'offline' ? {} : { fault: { kind: mode, afterMs: SERVER_FAULT_AFTER_MS, durationMs: FAILURE_MS } });
  servers.push(server);
  const argv = [server.pageUrl(`${name}.localhost`), '--duration', `${durationMs(client.id) / 1000}s`, ...(mode === 'offline' ? ['--fault', OFFLINE_FAULT] : [])];
  const options = await readAuditOptions(argv);
  if (options === 'help') throw new Error('unexpected --help');
  const run = await auditPage(session, options);
  const offline = run.capture.events.find((e): e is Extract<CaptureEvent, { type: 'fault' }> => e.type === 'fault' && e.fault === 'offline' && e.phase === 'start');
  const faultAt = mode === 'offline' ? offline?.t : server.faultWindow()?.start;
  if (faultAt === undefined) throw new Error(`${name}: the ${mode} fault never started (server log: ${server.log.map((l) => l.event).join(', ')}; ${run.faultErrors.join('; ')})`);
  return { options, run, server, faultAt };
}

/** The client's WebSocket channel in the report. */
function channelOf(client: ProtocolClient, run: AuditRun): ChannelReport {
  const channel = run.report.channels.find((c) => c.transport === 'websocket' && new URL(c.url).pathname === client.channel);
  if (!channel) throw new Error(`no WebSocket channel on ${client.channel}: ${run.report.channels.map((c) => `${c.kind} ${c.url}`).join('; ')}`);
  return channel;
}

function save(dir: string, name: string, client: ProtocolClient, mode: FailureMode, result: CaseResult, channel: ChannelReport, others: ChannelReport[], retries: number, problems: string[]): void {
  const { run, server, faultAt } = result;
  const inOutage = channel.reconnects.filter((r) => r.at >= faultAt - 100);
  mkdirSync(dir, { recursive: true });
  const data = {
    case: name,
    client: client.id,
    mode,
    documented: client.documented,
    outageMs: FAILURE_MS,
    faultAt,
    serverLog: server.log.map((l) => ({ at: l.at - faultAt, event: l.event })),
    retriesInOutage: retries,
    // retry: the reconnect's number within this outage (0 = the first after the loss), as the library counts
    // them there (phoenix restarts its count on every open); the rest as the other matrix keeps it.
    reconnects: reconnectRows(channel.reconnects, run.capture.events, client.channel, faultAt).map((row, i) => ({ retry: inOutage.indexOf(channel.reconnects[i]!), ...row })),
    verdict: { kind: channel.kind, protocol: channel.protocol, backoff: channel.backoff, findings: channel.findings.map((f) => ({ code: f.code, message: f.message, evidence: f.evidence })) },
    problems,
    channel,
    otherChannels: others.map((c) => ({
      kind: c.kind,
      url: c.url,
      reconnects: c.reconnects.map((r) => ({ atMs: Math.round(r.at - faultAt), delayMs: r.delayMs, cause: r.cause })),
      backoff: c.backoff,
      findings: c.findings.map((f) => f.code),
    })),
  };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
}

describe('documented defaults are what the installed libraries do', () => {
  it.each(Object.values(PROTOCOL_CLIENTS).map((c) => [c.id, c] as const))('%s', (_id, client) => {
    const { library, sources } = client.documented;
    expect(library).toBe(`${client.vendor.pkg} ${packageVersion(client.vendor.pkg)}`);
    for (const { path, snippets } of sources) for (const snippet of snippets) expect(packageFile(client.vendor.pkg, path), `${path}`).toContain(snippet);
  });
});

describe.skipIf(!RUN)('backoff verdict of each protocol client under each failure', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    session = await launchInspector();
    for (const c of CASES) results.set(c.name, runCase(c.client, c.mode, c.name).catch((e: Error) => e));
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it.concurrent.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, { client, mode }) => {
    const result = await results.get(name)!;
    if (result instanceof Error) throw result;
    const channel = channelOf(client, result.run);
    const context = `${name}: ${channel.reconnects.map((r) => `${Math.round(r.delayMs)} (${r.cause})`).join(', ')} → ${JSON.stringify(channel.backoff)}; findings ${channel.findings.map((f) => f.code).join(', ')}`;
    // The last reconnect is the one that worked; its delay counts like the others.
    const delays = channel.reconnects.filter((r) => r.at >= result.faultAt - 100).map((r) => r.delayMs);
    const want = expectation(client, mode);
    const others = result.run.report.channels.filter((c) => c !== channel && c.url.includes(client.channel));
    const problems = [...judge(channel, delays.length, want), ...otherChannelProblems(others, want)];
    // With a verdict due, the CLI's gates must pass with the documented model too.
    if (delays.length >= want.verdictFrom) problems.push(...gateProblems(result.run.report, result.options, client.channel, want));
    if (process.env.RI_MATRIX_OUT) save(process.env.RI_MATRIX_OUT, name, client, mode, result, channel, others, delays.length, problems);
    expect(channel.kind, context).toBe('websocket');
    expect(channel.protocol, context).toBe(PROTOCOL_ID[client.id]);
    // The case tests something only if the client lost a working connection and got it back.
    expect(delays.length, context).toBeGreaterThan(0);
    expect(channel.reconnects.at(-1)!.at - result.faultAt, context).toBeGreaterThanOrEqual(FAILURE_MS - 1000);
    expect(problems, context).toEqual([]);
  });
});
