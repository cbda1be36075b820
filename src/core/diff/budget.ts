/**
 * Regression budgets: how far a new run may move from its baseline before the build fails.
 * A budget file is JSON (schema in README, "Baselines and diff"); every key is optional, an
 * absent rule is not checked, and `channels` overrides rules for channels whose URL contains
 * a string. Pure: a diff and a budget in, the breaches out, each worded for the user.
 */
import type { Severity } from '../report-types.ts';
import type { ChannelDiff, RateChange, ReportDiff } from './compare.ts';
import { describeBackoffChange, formatPercent, formatPoints, heartbeatText, wastePercent } from '../describe.ts';
import { describeRateChange } from './words.ts';

/** The rules of a budget; each is checked only when set. */
export interface BudgetRules {
  /** Waste of a polled channel may grow by at most this many percentage points. */
  maxWasteIncreasePoints?: number;
  /** The heartbeat interval may move (either way) by at most this percentage; a heartbeat no longer seen breaches it too. */
  maxHeartbeatChangePercent?: number;
  /** HTTP requests per second may grow by at most this percentage. */
  maxRequestRateIncreasePercent?: number;
  /** Messages per second (both directions) may grow by at most this percentage. */
  maxMessageRateIncreasePercent?: number;
  /** Rates and waste are judged only where the new run counted at least this many requests (or messages); default 10. */
  minSamples?: number;
  /** A backoff fitted with medium or high confidence on both sides must keep its model. */
  failOnBackoffModelChange?: boolean;
  /** A matched channel must keep its kind (polling, long-polling, sse, websocket, streaming, one-off). */
  failOnKindChange?: boolean;
  /** A finding of this severity or worse that the baseline did not have on the channel (or on a new channel) fails; false: never. */
  failOnNewFindings?: Severity | false;
  /** A channel of the baseline (other than a one-off request) missing from the new run fails. */
  failOnGoneChannels?: boolean;
}

/** Rules for the channels whose URL contains `url`; `ignore` leaves them out of every rule. */
export interface ChannelBudget extends BudgetRules {
  url: string;
  ignore?: boolean;
}

export interface Budget extends BudgetRules {
  channels: ChannelBudget[];
}

/** One rule broken on one channel. */
export interface Breach {
  /** The budget key that was exceeded. */
  rule: keyof BudgetRules;
  /** The channel's endpoint (the new run's, or the baseline's for a gone channel). */
  channel: string;
  kind: string;
  /** What happened, in words, with the budget. */
  message: string;
}

/** The budget `audit --baseline` uses without `--budget`. */
export const DEFAULT_BUDGET: Budget = {
  maxWasteIncreasePoints: 5,
  maxHeartbeatChangePercent: 20,
  maxRequestRateIncreasePercent: 50,
  minSamples: 10,
  failOnBackoffModelChange: true,
  failOnKindChange: true,
  failOnNewFindings: 'error',
  channels: [],
};

const DEFAULT_MIN_SAMPLES = 10;

/** The budget file is not valid; the message lists every problem. */
export class BudgetError extends Error {
  override name = 'BudgetError';
}

const NUMBER_RULES = ['maxWasteIncreasePoints', 'maxHeartbeatChangePercent', 'maxRequestRateIncreasePercent', 'maxMessageRateIncreasePercent', 'minSamples'] as const;
const BOOLEAN_RULES = ['failOnBackoffModelChange', 'failOnKindChange', 'failOnGoneChannels'] as const;
const SEVERITIES: Severity[] = ['error', 'warning', 'info'];
const RULE_KEYS: readonly string[] = [...NUMBER_RULES, ...BOOLEAN_RULES, 'failOnNewFindings'];
/** Keys a budget file may carry for its readers. */
const COMMENT_KEYS = ['$schema', 'description'];

function readRules(o: Record<string, unknown>, path: string, extra: readonly string[], problems: string[]): BudgetRules {
  const rules: BudgetRules = {};
  for (const key of Object.keys(o)) {
    if (!RULE_KEYS.includes(key) && !extra.includes(key) && !COMMENT_KEYS.includes(key)) {
      problems.push(`${path}"${key}" is not a budget key (known: ${[...RULE_KEYS, ...extra].join(', ')})`);
    }
  }
  for (const key of NUMBER_RULES) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${path}"${key}" must be a number ≥ 0, got ${JSON.stringify(v)}`);
    else if (key === 'minSamples' && !Number.isInteger(v)) problems.push(`${path}"minSamples" must be a whole number, got ${v}`);
    else rules[key] = v;
  }
  for (const key of BOOLEAN_RULES) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') problems.push(`${path}"${key}" must be true or false, got ${JSON.stringify(v)}`);
    else rules[key] = v;
  }
  const f = o.failOnNewFindings;
  if (f !== undefined) {
    if (f === false || (typeof f === 'string' && (SEVERITIES as string[]).includes(f))) rules.failOnNewFindings = f as Severity | false;
    else problems.push(`${path}"failOnNewFindings" must be "error", "warning", "info" or false, got ${JSON.stringify(f)}`);
  }
  return rules;
}

/** Validate a parsed budget file; throws BudgetError listing every problem. */
export function parseBudget(value: unknown): Budget {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BudgetError('expected a JSON object of budget rules');
  const problems: string[] = [];
  const o = value as Record<string, unknown>;
  const rules = readRules(o, '', ['channels'], problems);
  const channels: ChannelBudget[] = [];
  if (o.channels !== undefined) {
    if (!Array.isArray(o.channels)) problems.push(`"channels" must be an array of {"url": "...", rules...}, got ${JSON.stringify(o.channels)}`);
    else {
      o.channels.forEach((entry: unknown, i: number) => {
        const path = `channels[${i}]: `;
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return void problems.push(`${path}expected an object with "url"`);
        const e = entry as Record<string, unknown>;
        const channelRules = readRules(e, path, ['url', 'ignore'], problems);
        if (typeof e.url !== 'string' || e.url === '') problems.push(`${path}"url" must be a non-empty string (a part of the channel URL)`);
        if (e.ignore !== undefined && typeof e.ignore !== 'boolean') problems.push(`${path}"ignore" must be true or false`);
        channels.push({ ...channelRules, url: String(e.url), ...(e.ignore === true ? { ignore: true } : {}) });
      });
    }
  }
  if (problems.length > 0) throw new BudgetError(problems.join('\n'));
  return { ...rules, channels };
}

/** The rules for one channel: the first `channels` entry whose url it contains overrides the top level. */
function rulesFor(budget: Budget, ...urls: string[]): (BudgetRules & { ignore?: boolean }) {
  const entry = budget.channels.find((c) => urls.some((u) => u.includes(c.url)));
  if (!entry) return budget;
  const { url: _url, ...own } = entry;
  return { ...budget, ...own };
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

function rateBreach(rate: RateChange, limit: number | undefined, minSamples: number): boolean {
  if (limit === undefined || rate.countAfter < minSamples) return false;
  return rate.percent === null ? rate.after > 0 : rate.percent > limit;
}

function channelBreaches(d: ChannelDiff, rules: BudgetRules): Breach[] {
  const out: Breach[] = [];
  const add = (rule: keyof BudgetRules, message: string) => out.push({ rule, channel: d.after.url, kind: d.after.kind, message });
  const minSamples = rules.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (rules.failOnKindChange && d.kind.changed) add('failOnKindChange', `kind changed: ${d.kind.before} → ${d.kind.after}`);
  const waste = rules.maxWasteIncreasePoints;
  if (waste !== undefined && d.waste.points !== null && d.waste.points > waste && d.requestRate.countAfter >= minSamples) {
    add('maxWasteIncreasePoints', `waste ${formatPoints(d.waste.points)} (${wastePercent(d.waste.before)} → ${wastePercent(d.waste.after)}), budget +${waste} points`);
  }
  const hb = rules.maxHeartbeatChangePercent;
  if (hb !== undefined && d.heartbeat.before !== null) {
    if (d.heartbeat.after === null) add('maxHeartbeatChangePercent', `heartbeat no longer seen (was ${heartbeatText(d.heartbeat.before)})`);
    else if (d.heartbeat.percent !== null && Math.abs(d.heartbeat.percent) > hb) {
      add('maxHeartbeatChangePercent', `heartbeat interval ${heartbeatText(d.heartbeat.before)} → ${heartbeatText(d.heartbeat.after)} (${formatPercent(d.heartbeat.percent)}), budget ±${hb}%`);
    }
  }
  if (rateBreach(d.requestRate, rules.maxRequestRateIncreasePercent, minSamples)) {
    add('maxRequestRateIncreasePercent', `request rate ${describeRateChange(d.requestRate, 'req')}, budget +${rules.maxRequestRateIncreasePercent}%`);
  }
  if (rateBreach(d.messageRate, rules.maxMessageRateIncreasePercent, minSamples)) {
    add('maxMessageRateIncreasePercent', `message rate ${describeRateChange(d.messageRate, 'msg')}, budget +${rules.maxMessageRateIncreasePercent}%`);
  }
  if (rules.failOnBackoffModelChange && d.backoff.modelChanged) add('failOnBackoffModelChange', `backoff model changed: ${describeBackoffChange(d.backoff.before, d.backoff.after)}`);
  const level = rules.failOnNewFindings;
  if (level) {
    for (const f of d.findings.added) {
      if (SEVERITY_RANK[f.severity] >= SEVERITY_RANK[level]) add('failOnNewFindings', `new ${f.severity} finding ${f.code}: ${f.message}`);
    }
  }
  return out;
}

/** Every breach of `budget` in `diff` (empty: within budget). */
export function checkBudget(diff: ReportDiff, budget: Budget): Breach[] {
  const breaches: Breach[] = [];
  for (const d of diff.channels) {
    const rules = rulesFor(budget, d.after.url, d.before.url);
    if (!rules.ignore) breaches.push(...channelBreaches(d, rules));
  }
  for (const { channel, findings } of diff.onlyAfter) {
    const rules = rulesFor(budget, channel.url);
    const level = rules.failOnNewFindings;
    if (rules.ignore || !level) continue;
    for (const f of findings) {
      if (SEVERITY_RANK[f.severity] >= SEVERITY_RANK[level]) {
        breaches.push({ rule: 'failOnNewFindings', channel: channel.url, kind: channel.kind, message: `new ${f.severity} finding ${f.code} on a channel the baseline did not have: ${f.message}` });
      }
    }
  }
  for (const { channel } of diff.onlyBefore) {
    const rules = rulesFor(budget, channel.url);
    if (!rules.ignore && rules.failOnGoneChannels && channel.kind !== 'one-off') {
      breaches.push({ rule: 'failOnGoneChannels', channel: channel.url, kind: channel.kind, message: 'channel of the baseline not seen in this run' });
    }
  }
  return breaches;
}

