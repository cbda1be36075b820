/**
 * Several runs of one page judged together (`audit --runs N --judge median|worst`), and
 * how the runs differed. Pure: the runs' reports (or their errors) in, a verdict out.
 *
 * A gate is one `--assert` rule or the `--fail-on` level. Each run passes or fails it;
 * `worst` asks every run to pass, `median` more than half of them: for a rule on a
 * number that is the median run passing, with the worse of the two middle runs taken
 * when N is even (so two runs must both pass), and it extends to rules on a model or a
 * flag, which have no order.
 */
import { formatMs, median, type ChannelReport, type Report } from '../core/index.ts';
import type { AuditOptions } from './audit-args.ts';
import { checkAssertion, findingsAtOrAbove } from './audit-assert.ts';
import { EXIT } from './audit-exit.ts';
import type { Judge } from './audit-suite-args.ts';

/** One run's result as the runner hands it over: a report, or why there is none. */
export interface RunInput {
  report: Report | null;
  error: { message: string; exitCode: number } | null;
  pageErrors: string[];
  faultErrors: string[];
}

/** One gate in one run. */
export interface GateRun {
  ok: boolean;
  /** The value that decided it (Verdict.decisive), or the number of findings for --fail-on; null when none. */
  value: string | null;
  details: string[];
}

export interface GateVerdict {
  kind: 'assert' | 'fail-on' | 'budget';
  /** As the user wrote it: `heartbeat<=30s`, the level for --fail-on, the budget's source for --baseline. */
  spec: string;
  /** `--assert heartbeat<=30s`, `--fail-on error`, `budget (budget.json against base.json)`: the name of the test case. */
  title: string;
  ok: boolean;
  /** Runs that passed it. */
  passes: number;
  perRun: GateRun[];
}

export interface RunSummary {
  /** 1-based, in the order the runs were made. */
  run: number;
  error: { message: string; exitCode: number } | null;
  /** How long the run recorded (its report's duration); 0 without a report. */
  durationMs: number;
  /** Gates this run failed. */
  failed: number;
  findings: { error: number; warning: number };
  pageErrors: string[];
  faultErrors: string[];
}

/** One measure of one channel across the runs; null where a run lacks the channel or the value. */
export interface MetricSpread {
  metric: string;
  values: Array<number | string | null>;
  /** Whether the runs disagree (different values, or a value in some runs only). */
  differs: boolean;
  /** For numbers: the smallest, median and largest of the present values. */
  min?: number;
  median?: number;
  max?: number;
}

export interface ChannelSpread {
  /** The channel's normalised URL (and its worker's script, when a worker's). */
  key: string;
  /** Runs in which the channel appeared. */
  seenIn: number;
  /** Per run, whether the channel appeared in it. */
  seen: boolean[];
  metrics: MetricSpread[];
  /** Finding codes and the number of runs that raised them. */
  findings: Record<string, number>;
}

export interface PageVerdict {
  judge: Judge;
  runs: RunSummary[];
  gates: GateVerdict[];
  /** Index into `runs` of the run whose report stands for the page (null when no run made one). */
  representative: number | null;
  /** Gate bits (EXIT.failOn | EXIT.assert), or the error's exit code when no run could be made. */
  code: number;
  /** Set when no run produced a report. */
  error: { message: string; exitCode: number } | null;
  channels: ChannelSpread[];
}

/**
 * `--baseline`'s gate (src/cli/diff.ts loadBaselineGate): each run's report against the
 * baseline, as the breaches of the budget, worded one per line.
 */
export interface BudgetGate {
  /** `budget.json against base.json` (or `default budget against …`). */
  source: string;
  breaches(report: Report): string[];
}

/** Whether a gate passes over its runs' outcomes under a judge. */
export function gatePasses(outcomes: readonly boolean[], judge: Judge): boolean {
  const passes = outcomes.filter(Boolean).length;
  return judge === 'worst' ? passes === outcomes.length : passes * 2 > outcomes.length;
}

function gateRuns(runs: readonly RunInput[], options: Pick<AuditOptions, 'asserts' | 'failOn'>, budget: BudgetGate | null): Array<Omit<GateVerdict, 'ok' | 'passes'>> {
  const noReport = (run: RunInput): GateRun => ({ ok: false, value: null, details: [`no report: ${run.error?.message ?? 'the run failed'}`] });
  const gates: Array<Omit<GateVerdict, 'ok' | 'passes'>> = options.asserts.map((assertion) => ({
    kind: 'assert',
    spec: assertion.spec,
    title: `--assert ${assertion.spec}`,
    perRun: runs.map((run) => {
      if (!run.report) return noReport(run);
      const verdict = checkAssertion(run.report, assertion);
      return { ok: verdict.ok, value: verdict.decisive, details: verdict.details };
    }),
  }));
  const level = options.failOn;
  if (level) {
    gates.push({
      kind: 'fail-on',
      spec: level,
      title: `--fail-on ${level}`,
      perRun: runs.map((run) => {
        if (!run.report) return noReport(run);
        const hits = findingsAtOrAbove(run.report, level);
        return { ok: hits.length === 0, value: `${hits.length} finding${hits.length === 1 ? '' : 's'}`, details: hits };
      }),
    });
  }
  if (budget) {
    gates.push({
      kind: 'budget',
      spec: budget.source,
      title: `budget (${budget.source})`,
      perRun: runs.map((run) => {
        if (!run.report) return noReport(run);
        const breaches = budget.breaches(run.report);
        const value = breaches.length === 0 ? 'no regression beyond the budget' : `${breaches.length} breach${breaches.length === 1 ? '' : 'es'}`;
        return { ok: breaches.length === 0, value, details: breaches };
      }),
    });
  }
  return gates;
}

/** The run that stands for the page: the median (or, for worst, the worst) by gates failed, then by findings. */
function representativeRun(summaries: readonly RunSummary[], judge: Judge): number | null {
  const made = summaries.map((s, i) => ({ s, i })).filter(({ s }) => !s.error);
  if (!made.length) return null;
  const badness = ({ s }: { s: RunSummary }) => s.failed * 1e6 + s.findings.error * 1e3 + s.findings.warning;
  const sorted = [...made].sort((a, b) => badness(a) - badness(b) || a.i - b.i);
  // The worse of the two middle runs when even, as the gates are judged.
  const pick = judge === 'worst' ? sorted[sorted.length - 1]! : sorted[sorted.length >> 1]!;
  return pick.i;
}

/**
 * A channel's identity across runs: its normalised URL with the query's values left out
 * (the core folds ids and numbers, but a per-client token such as `client=9gqmmaukm3` stays
 * and differs on every load), and its worker's kind and script when it is a worker's.
 */
export function channelKey(channel: Pick<ChannelReport, 'url' | 'origin'>): string {
  const q = channel.url.indexOf('?');
  const names = q < 0 ? [] : [...new Set(channel.url.slice(q + 1).split('&').map((p) => p.split('=')[0]!))].sort();
  const url = q < 0 ? channel.url : `${channel.url.slice(0, q)}${names.length ? `?${names.join('&')}` : ''}`;
  return channel.origin ? `${url} (${channel.origin.kind} ${channel.origin.url})` : url;
}

/** What is compared across runs for each channel. */
const CHANNEL_METRICS: Array<{ metric: string; read: (c: ChannelReport) => number | string | null }> = [
  { metric: 'kind', read: (c) => c.kind },
  { metric: 'protocol', read: (c) => c.protocol },
  { metric: 'heartbeatMs', read: (c) => c.heartbeat?.intervalMs ?? null },
  { metric: 'maxIdleMs', read: (c) => c.heartbeat?.maxIdleMs ?? null },
  { metric: 'wasteRatio', read: (c) => c.wasteRatio },
  { metric: 'requests', read: (c) => c.requests },
  { metric: 'messages', read: (c) => c.messages.in + c.messages.out },
  { metric: 'reconnects', read: (c) => c.reconnects.length },
  { metric: 'backoff', read: (c) => c.backoff?.model ?? null },
];

/** Per channel (matched across runs by normalised URL and worker) and per metric, how the runs differed. */
export function channelSpread(reports: ReadonlyArray<Report | null>): ChannelSpread[] {
  const keys: string[] = [];
  const byRun = reports.map((report) => {
    const map = new Map<string, ChannelReport>();
    for (const channel of report?.channels ?? []) {
      // Two channels on one endpoint in one run (rare: a page with two sockets there) stay apart.
      let key = channelKey(channel);
      for (let n = 2; map.has(key); n++) key = `${channelKey(channel)} #${n}`;
      map.set(key, channel);
      if (!keys.includes(key)) keys.push(key);
    }
    return map;
  });
  const made = reports.filter(Boolean).length;
  return keys.map((key) => {
    const channels = byRun.map((map) => map.get(key) ?? null);
    const seenIn = channels.filter(Boolean).length;
    const metrics = CHANNEL_METRICS.flatMap(({ metric, read }): MetricSpread[] => {
      const values = channels.map((c) => (c ? read(c) : null));
      const present = values.filter((v): v is number | string => v !== null);
      if (!present.length) return [];
      const differs = new Set(present).size > 1 || present.length < made;
      const numbers = present.filter((v): v is number => typeof v === 'number');
      if (numbers.length !== present.length) return [{ metric, values, differs }];
      return [{ metric, values, differs, min: Math.min(...numbers), median: median(numbers), max: Math.max(...numbers) }];
    });
    const findings: Record<string, number> = {};
    for (const channel of channels) for (const code of new Set(channel?.findings.map((f) => f.code))) findings[code] = (findings[code] ?? 0) + 1;
    return { key, seenIn, seen: channels.map(Boolean), metrics, findings };
  });
}

/** Judge a page's runs together. */
export function judgeRuns(runs: readonly RunInput[], options: Pick<AuditOptions, 'asserts' | 'failOn'>, judge: Judge, budget: BudgetGate | null = null): PageVerdict {
  const partial = gateRuns(runs, options, budget);
  const gates: GateVerdict[] = partial.map((g) => {
    const outcomes = g.perRun.map((r) => r.ok);
    return { ...g, ok: gatePasses(outcomes, judge), passes: outcomes.filter(Boolean).length };
  });
  const summaries: RunSummary[] = runs.map((run, i) => ({
    run: i + 1,
    error: run.error,
    durationMs: run.report?.durationMs ?? 0,
    failed: gates.filter((g) => !g.perRun[i]!.ok).length,
    findings: {
      error: run.report?.summary.findings.error ?? 0,
      warning: run.report?.summary.findings.warning ?? 0,
    },
    pageErrors: run.pageErrors,
    faultErrors: run.faultErrors,
  }));
  const representative = representativeRun(summaries, judge);
  const error = representative === null ? (runs.find((r) => r.error)?.error ?? { message: 'no run was made', exitCode: EXIT.crashed }) : null;
  let code = 0;
  for (const g of gates) if (!g.ok) code |= g.kind === 'assert' ? EXIT.assert : g.kind === 'budget' ? EXIT.budget : EXIT.failOn;
  return {
    judge,
    runs: summaries,
    gates,
    representative,
    code: error ? error.exitCode : code,
    error,
    channels: channelSpread(runs.map((r) => r.report)),
  };
}

/**
 * The words of a gate's outcome, shared by the terminal, JUnit, Markdown and the
 * annotations: a headline (without PASS/FAIL) and the detail lines. One run reads as a
 * single audit always has; several list each run's value and the failing runs' details.
 */
export function describeGate(gate: GateVerdict, judge: Judge): { headline: string; details: string[] } {
  const runs = gate.perRun;
  if (runs.length === 1) {
    const only = runs[0]!;
    return { headline: gate.kind === 'assert' ? gate.title : `${gate.title}: ${only.value ?? 'no report'}`, details: only.details };
  }
  const need = judge === 'median' ? 'more than half needed' : 'every run needed';
  const perRun = runs.map((r) => `${r.value ?? 'no value'} ${r.ok ? 'ok' : 'FAIL'}`).join(' · ');
  // Passing runs say no more than their value in the headline; failing ones say why.
  const failing = runs.map((r, i) => ({ r, i })).filter(({ r }) => !r.ok);
  return {
    headline: `${gate.title}: passed in ${gate.passes} of ${runs.length} runs (${judge}: ${need}) · per run: ${perRun}`,
    details: failing.flatMap(({ r, i }) => r.details.map((d) => `run ${i + 1}: ${d}`)),
  };
}

/** Spread lines for the terminal and Markdown: only the channels and metrics on which the runs differed. */
export function describeSpread(channels: readonly ChannelSpread[], runs: number): string[] {
  const lines: string[] = [];
  for (const channel of channels) {
    const parts: string[] = [];
    if (channel.seenIn < runs) parts.push(`seen in ${channel.seenIn} of ${runs} runs`);
    for (const m of channel.metrics) {
      const texts = m.values.map((v) => (v === null ? '—' : typeof v === 'number' ? formatMetric(m.metric, v) : v));
      // Where the channel was seen, do the runs disagree? A difference below the shown precision
      // (1.42 s and 1.38 s both read 1.4s) is none; a run without the channel is said once, above.
      if (!m.differs || new Set(texts.filter((_, i) => channel.seen[i])).size === 1) continue;
      const shown = texts.join(' / ');
      const range = m.min !== undefined ? ` (median ${formatMetric(m.metric, m.median!)})` : '';
      parts.push(`${m.metric} ${shown}${range}`);
    }
    const flaky = Object.entries(channel.findings).filter(([, n]) => n < runs);
    if (flaky.length) parts.push(`findings in some runs only: ${flaky.map(([code, n]) => `${code} (${n}/${runs})`).join(', ')}`);
    if (parts.length) lines.push(`${channel.key}: ${parts.join('; ')}`);
  }
  return lines;
}

function formatMetric(metric: string, value: number): string {
  if (metric.endsWith('Ms')) return formatMs(value, 'compact');
  if (metric === 'wasteRatio') return `${Math.round(value * 100)}%`;
  return String(Math.round(value * 100) / 100);
}
