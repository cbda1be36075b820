/**
 * What the Playwright matchers judge, as pure functions of a report: each returns
 * whether it holds, what was expected and what was received, in words. The rules
 * that `audit --assert` also has (heartbeat, backoff, jitter, waste, reconnects,
 * findings at a severity) are judged by the audit's own functions
 * (src/cli/audit-assert.ts), so a test and a CI audit agree to the word.
 * expect.ts wraps them for Playwright's expect.extend.
 */
import { checkAssertion, findingsAtOrAbove, type Verdict } from '../cli/audit-assert.ts';
import type { AssertMetric, AssertOp } from '../cli/audit-args.ts';
import { formatMs, type BackoffModel, type ChannelKind, type ChannelReport, type Report } from '../core/index.ts';
import { describeUrl, urlMatches, type UrlMatcher } from './url-matcher.ts';

export type { UrlMatcher };

/** What `toHaveChannel` looks for; every given field must hold. */
export interface ChannelQuery {
  url?: UrlMatcher;
  kind?: ChannelKind;
  /** Protocol id as the report names it ('socket.io', 'graphql-ws', 'json', …); null for none recognised. */
  protocol?: string | null;
}

/** One matcher's verdict on one report. */
export interface Check {
  pass: boolean;
  /** What the matcher asks for, e.g. `heartbeat at most 30s on channels matching /socket.io/`. */
  expected: string;
  /** What the report shows, one line per channel judged (or why nothing could be). */
  received: string[];
}

/** The report's channels whose normalised or first real URL matches (all of them without a matcher). */
export function channelsMatching(report: Report, url: UrlMatcher | undefined): ChannelReport[] {
  return report.channels.filter((c) => url === undefined || urlMatches(c.url, url) || urlMatches(c.sampleUrl, url));
}

/** One line per channel, as the failure messages list them. */
export function channelLine(c: ChannelReport): string {
  const origin = c.origin ? ` (${c.origin.kind})` : '';
  return `${c.kind.padEnd(12)} ${(c.protocol ?? '-').padEnd(11)} ${c.url}${origin}`;
}

/** Is there a channel with this URL, kind and protocol? */
export function checkChannel(report: Report, query: ChannelQuery): Check {
  const parts = [
    query.url !== undefined ? `url ${describeUrl(query.url)}` : null,
    query.kind !== undefined ? `kind ${JSON.stringify(query.kind)}` : null,
    query.protocol !== undefined ? `protocol ${JSON.stringify(query.protocol)}` : null,
  ].filter((p): p is string => p !== null);
  const expected = parts.length ? `a channel with ${parts.join(', ')}` : 'a channel';
  const byUrl = channelsMatching(report, query.url);
  const hits = byUrl.filter((c) => (query.kind === undefined || c.kind === query.kind) && (query.protocol === undefined || c.protocol === query.protocol));
  if (hits.length) return { pass: true, expected, received: hits.map(channelLine) };
  let why: string;
  if (!report.channels.length) why = 'no channel at all';
  else if (query.url !== undefined && !byUrl.length) why = `no channel with url ${describeUrl(query.url)}`;
  else if (query.url !== undefined) {
    const seen = byUrl.map((c) => `kind ${JSON.stringify(c.kind)}, protocol ${JSON.stringify(c.protocol)}`);
    why = `no such channel; ${byUrl.length === 1 ? 'the one' : `the ${byUrl.length}`} with that url: ${seen.join('; ')}`;
  }
  else why = 'no channel of that kind and protocol';
  return { pass: false, expected, received: [why] };
}

/** Judge one audit rule on the channels a URL matcher keeps (the rule itself says what applies). */
function viaAudit(report: Report, url: UrlMatcher | undefined, metric: AssertMetric, op: AssertOp, value: number | string | boolean): Verdict {
  const scoped: Report = { ...report, channels: channelsMatching(report, url) };
  const verdict = checkAssertion(scoped, { metric, op, value, channel: null, spec: `${metric}${op}${String(value)}` });
  // The audit's "none" reason does not know the URL matcher: say it.
  if (url !== undefined && !verdict.ok && verdict.details.length === 1 && !/^(FAIL|ok|--)/.test(verdict.details[0]!)) {
    return { ...verdict, details: [`${verdict.details[0]} with url ${describeUrl(url)}`] };
  }
  return verdict;
}

function scope(url: UrlMatcher | undefined): string {
  return url === undefined ? '' : ` on channels with url ${describeUrl(url)}`;
}

/** Options shared by the per-channel rules. */
export interface Scoped {
  url?: UrlMatcher;
}

/** Every long-lived channel (in scope) heartbeats at most every `atMost` ms. */
export function checkHeartbeat(report: Report, options: Scoped & { atMost: number }): Check {
  const v = viaAudit(report, options.url, 'heartbeat', '<=', options.atMost);
  return { pass: v.ok, expected: `heartbeat at most every ${formatMs(options.atMost, 'compact')}${scope(options.url)}`, received: v.details };
}

/** Reconnects (in scope) follow `model` and, when `jitter` is given, are (or are not) jittered. */
export function checkBackoff(report: Report, options: Scoped & { model?: BackoffModel; jitter?: boolean }): Check {
  const verdicts: Verdict[] = [];
  const wanted: string[] = [];
  if (options.model !== undefined) {
    verdicts.push(viaAudit(report, options.url, 'backoff', '=', options.model));
    wanted.push(`${options.model} backoff`);
  }
  if (options.jitter !== undefined) {
    verdicts.push(viaAudit(report, options.url, 'jitter', '=', options.jitter));
    wanted.push(options.jitter ? 'with jitter' : 'without jitter');
  }
  if (!verdicts.length) throw new TypeError('toBackOff: give `model` and/or `jitter`');
  // One line per channel: the backoff verdict says it all, the jitter lines only add a failure.
  const [first, ...more] = verdicts;
  const received = [...first!.details, ...more.flatMap((v) => (v.ok ? [] : v.details))];
  return { pass: verdicts.every((v) => v.ok), expected: `reconnects with ${wanted.join(' ')}${scope(options.url)}`, received: [...new Set(received)] };
}

/** Every polling or long-polling channel (in scope) wastes at most `atMost` (0..1) of its responses. */
export function checkWaste(report: Report, options: Scoped & { atMost: number }): Check {
  if (!(options.atMost >= 0 && options.atMost <= 1)) throw new TypeError(`toHaveWaste: atMost is a ratio from 0 to 1 (20 % is 0.2), got ${options.atMost}`);
  const v = viaAudit(report, options.url, 'waste', '<=', options.atMost);
  return { pass: v.ok, expected: `waste at most ${Math.round(options.atMost * 100)}%${scope(options.url)}`, received: v.details };
}

/** The channels (in scope) reconnected at least `atLeast` times (default 1): a client that recovered from a fault. */
export function checkReconnected(report: Report, options: Scoped & { atLeast?: number }): Check {
  const atLeast = options.atLeast ?? 1;
  const channels = channelsMatching(report, options.url).filter((c) => c.kind !== 'one-off');
  const reconnected = channels.filter((c) => c.reconnects.length >= atLeast);
  const received = channels.length
    ? channels.map((c) => `${c.reconnects.length >= atLeast ? 'ok  ' : 'FAIL'} ${c.kind} ${c.url}: ${c.reconnects.length} reconnect${c.reconnects.length === 1 ? '' : 's'}`)
    : [`no real-time channel${options.url === undefined ? '' : ` with url ${describeUrl(options.url)}`}`];
  return {
    pass: reconnected.length > 0,
    expected: `a channel${options.url === undefined ? '' : ` with url ${describeUrl(options.url)}`} that reconnected at least ${atLeast} time${atLeast === 1 ? '' : 's'}`,
    received,
  };
}

/** No finding at or above `severity` (default 'error') on the channels in scope. */
export function checkNoFindings(report: Report, options: Scoped & { severity?: 'error' | 'warning' } = {}): Check {
  const severity = options.severity ?? 'error';
  const hits = findingsAtOrAbove({ ...report, channels: channelsMatching(report, options.url) }, severity);
  return {
    pass: hits.length === 0,
    expected: `no finding of severity ${severity}${severity === 'error' ? '' : ' or above'}${scope(options.url)}`,
    received: hits.length ? hits : ['none'],
  };
}

/** A failure message in Playwright's layout: the call, Expected, Received, Timeout, then the channels seen. */
export function failureMessage(matcher: string, check: Check, report: Report, opts: { isNot: boolean; timeoutMs: number }): string {
  const [firstReceived, ...moreReceived] = check.received;
  const lines = [
    `expect(rt).${opts.isNot ? 'not.' : ''}${matcher}(expected) failed`,
    '',
    `Expected: ${opts.isNot ? 'not ' : ''}${check.expected}`,
    `Received: ${firstReceived ?? ''}`,
    ...moreReceived.map((line) => `          ${line}`),
    `Timeout:  ${opts.timeoutMs}ms`,
    '',
    `Channels seen (${report.channels.length}) on ${report.page.url || 'no page'}:`,
    ...(report.channels.length ? report.channels.map((c) => `  ${channelLine(c)}`) : ['  (none: was the page loaded after attach()?)']),
  ];
  return lines.join('\n');
}
