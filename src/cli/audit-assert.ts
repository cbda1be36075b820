/**
 * The gates of `audit`: `--assert` rules and the `--fail-on` level, judged on a
 * report. Pure: report in, verdicts out.
 */
import { describeBackoff, formatMs, isPolled } from '../core/index.ts';
import type { ChannelReport, Report, Severity } from '../core/index.ts';
import type { Assertion, AssertOp, AuditOptions } from './audit-args.ts';
import { EXIT } from './audit-exit.ts';

/** The outcome of one rule, with the channels it looked at. */
export interface Verdict {
  spec: string;
  ok: boolean;
  /** One line per checked channel, or why nothing could be checked. */
  details: string[];
  /**
   * The value that decided the rule, as shown to the user: the failing channel's (the
   * farthest past the limit) when one fails, else the one closest to the limit; null when
   * no channel had a value. What --runs lists per run.
   */
  decisive: string | null;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

function compare(actual: number | string | boolean, op: AssertOp, expected: number | string | boolean): boolean {
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<=':
      return (actual as number) <= (expected as number);
    case '<':
      return (actual as number) < (expected as number);
    case '>=':
      return (actual as number) >= (expected as number);
    case '>':
      return (actual as number) > (expected as number);
  }
}

function seconds(ms: number): string {
  return formatMs(ms, 'compact');
}

interface Subject {
  /** Channels this metric applies to. */
  applies(channel: ChannelReport): boolean;
  /** What "no channel to check" means for the user. */
  none: string;
  /** The measured value, or null when the channel does not show it (which fails the rule). */
  measure(channel: ChannelReport): number | string | boolean | null;
  show(value: number | string | boolean): string;
  /** Why there is no value, for the user. */
  missing: string | ((channel: ChannelReport) => string);
  /** Context printed after the value (e.g. the whole backoff verdict). */
  note?: (channel: ChannelReport) => string;
  /**
   * When some matching channels have a value and others have none, judge only those with
   * one: an engine.io client's retries run on its polling channel while its WebSocket
   * channel holds a single reconnect, and both match the user's URL filter.
   */
  judgeWhereMeasured?: boolean;
}

/** A backoff fit too thin to judge: the verdict's own reason, and the closest shape. */
function noBackoffVerdict(c: ChannelReport): string {
  return c.backoff ? describeBackoff(c.backoff) : 'too few reconnects to fit a backoff (3 delays needed)';
}

const SUBJECTS: Record<Assertion['metric'], Subject> = {
  heartbeat: {
    applies: (c) => c.heartbeat !== null,
    none: 'no long-lived connection (WebSocket, SSE, stream) was seen',
    measure: (c) => c.heartbeat?.intervalMs ?? null,
    show: (v) => seconds(v as number),
    missing: 'no heartbeat seen by the page (a control-frame ping would be invisible)',
  },
  idle: {
    applies: (c) => c.heartbeat !== null,
    none: 'no long-lived connection (WebSocket, SSE, stream) was seen',
    measure: (c) => c.heartbeat?.maxIdleMs ?? null,
    show: (v) => seconds(v as number),
    missing: 'no idle measurement',
  },
  backoff: {
    applies: (c) => c.reconnects.length > 0,
    none: 'no reconnect was seen: break the connection with --fault (e.g. drop@10s or offline@10s:20s)',
    // A low-confidence fit is no verdict: it can neither pass nor fail a policy.
    measure: (c) => (c.backoff && c.backoff.confidence !== 'low' ? c.backoff.model : null),
    show: String,
    missing: noBackoffVerdict,
    note: (c) => ` (${describeBackoff(c.backoff!)})`,
    judgeWhereMeasured: true,
  },
  jitter: {
    applies: (c) => c.reconnects.length > 0,
    none: 'no reconnect was seen: break the connection with --fault (e.g. offline@10s:20s)',
    // Jitter seen is true; false needs evidence of determinism (`deterministic`: a constant's
    // delays agreeing within timer noise, growth repeating or taking even steps, round
    // constants); jitter merely not seen in a few delays is unknown.
    measure: (c) => {
      const b = c.backoff;
      if (!b || b.confidence === 'low') return null;
      if (b.jitter) return true;
      return b.deterministic ? false : null;
    },
    show: String,
    missing: (c) =>
      c.backoff && c.backoff.confidence !== 'low'
        ? `jitter not seen, but ${c.reconnects.length} delays cannot rule it out (${describeBackoff(c.backoff)})`
        : noBackoffVerdict(c),
    note: (c) => ` (${describeBackoff(c.backoff!)})`,
    judgeWhereMeasured: true,
  },
  waste: {
    applies: (c) => isPolled(c.kind),
    none: 'no polling or long-polling channel was seen',
    measure: (c) => c.wasteRatio,
    show: (v) => `${Math.round((v as number) * 100)}%`,
    missing: 'no response to judge',
  },
  detect: {
    // The slowest reaction to an injected stall; a stall the client never noticed fails the rule.
    applies: (c) => c.stalls.length > 0,
    none: 'no connection was stalled: hold its traffic with --fault (e.g. stall@10s:60s)',
    measure: (c) => (c.stalls.some((s) => s.detectedAfterMs === null) ? null : Math.max(...c.stalls.map((s) => s.detectedAfterMs!))),
    show: (v) => seconds(v as number),
    missing: 'a stall went unnoticed (no close, no reconnect), or the server closed the connection first (see the stall-undetected finding)',
  },
  reconnects: {
    applies: (c) => c.kind !== 'one-off',
    none: 'no real-time channel was seen',
    measure: (c) => c.reconnects.length,
    show: String,
    missing: 'no count',
  },
};

/** Judge one assertion on a report: every channel it applies to must satisfy it, and at least one must exist. */
export function checkAssertion(report: Report, assertion: Assertion): Verdict {
  const subject = SUBJECTS[assertion.metric];
  const channels = report.channels.filter(
    (c) => subject.applies(c) && (assertion.channel === null || c.url.includes(assertion.channel)),
  );
  if (!channels.length) {
    const scope = assertion.channel === null ? '' : ` matching "${assertion.channel}"`;
    return { spec: assertion.spec, ok: false, details: [`${subject.none}${scope}`], decisive: null };
  }
  let ok = true;
  const measured = channels.filter((c) => subject.measure(c) !== null);
  const judged = subject.judgeWhereMeasured && measured.length > 0 ? measured : channels;
  const skipped = channels.filter((c) => !judged.includes(c)).map((c) => `--   ${c.kind} ${c.url}: not judged (${typeof subject.missing === 'string' ? subject.missing : subject.missing(c)}); another matching channel carries the verdict`);
  const details = judged.map((channel) => {
    const actual = subject.measure(channel);
    const pass = actual !== null && compare(actual, assertion.op, assertion.value);
    ok &&= pass;
    const shown =
      actual === null ? (typeof subject.missing === 'string' ? subject.missing : subject.missing(channel)) : `${subject.show(actual)}${subject.note?.(channel) ?? ''}`;
    return `${pass ? 'ok  ' : 'FAIL'} ${channel.kind} ${channel.url}: ${shown}`;
  });
  return { spec: assertion.spec, ok, details: [...details, ...skipped], decisive: decisiveValue(judged.map(subject.measure), assertion, subject) };
}

/** The judged channels' value that decides the rule (see Verdict.decisive). */
function decisiveValue(values: Array<number | string | boolean | null>, assertion: Assertion, subject: Subject): string | null {
  if (values.includes(null)) return null;
  const present = values as Array<number | string | boolean>;
  const failing = present.filter((v) => !compare(v, assertion.op, assertion.value));
  const pool = failing.length ? failing : present;
  const numbers = pool.filter((v): v is number => typeof v === 'number');
  if (numbers.length !== pool.length || !numbers.length) return pool.length ? subject.show(pool[0]!) : null;
  // Below a ceiling the largest value is the nearest to (or farthest past) it; above a floor, the smallest.
  const upper = assertion.op === '<=' || assertion.op === '<';
  const lower = assertion.op === '>=' || assertion.op === '>';
  return subject.show(upper ? Math.max(...numbers) : lower ? Math.min(...numbers) : numbers[0]!);
}

/** Findings at or above `level`, as "severity code: message" lines. */
export function findingsAtOrAbove(report: Report, level: Exclude<Severity, 'info'>): string[] {
  return report.channels.flatMap((c) =>
    c.findings
      .filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[level])
      .map((f) => `${f.severity} ${f.code} (${c.url}): ${f.message}`),
  );
}

/** Gate results: the exit code and the lines that explain it. */
export function judge(report: Report, options: Pick<AuditOptions, 'asserts' | 'failOn'>): { code: number; lines: string[]; verdicts: Verdict[] } {
  const lines: string[] = [];
  let code: number = EXIT.ok;
  const verdicts = options.asserts.map((a) => checkAssertion(report, a));
  for (const v of verdicts) {
    lines.push(`${v.ok ? 'PASS' : 'FAIL'} --assert ${v.spec}`, ...v.details.map((d) => `     ${d}`));
    if (!v.ok) code |= EXIT.assert;
  }
  if (options.failOn) {
    const hits = findingsAtOrAbove(report, options.failOn);
    lines.push(`${hits.length ? 'FAIL' : 'PASS'} --fail-on ${options.failOn}: ${hits.length} finding${hits.length === 1 ? '' : 's'}`);
    lines.push(...hits.map((h) => `     ${h}`));
    if (hits.length) code |= EXIT.failOn;
  }
  return { code, lines, verdicts };
}
