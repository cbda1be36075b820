/**
 * How a diff and a budget verdict read, for the CLI's text, the HTML page and the breach
 * messages alike: the layout of rows and blocks. The values in them are worded by
 * src/core/describe.ts (changes, rates, backoff verdicts) and src/core/stats.ts (durations).
 */
import { describeBackoffChange, formatPercent, formatPoints, formatRate, heartbeatText, wastePercent } from '../describe.ts';
import { formatMs } from '../stats.ts';
import type { Breach } from './budget.ts';
import type { ChannelDiff, ChannelRef, LoneChannel, RateChange, ReportDiff, ReportSide } from './compare.ts';

/** "1.00 req/s → 2.00 req/s (+100%, 20 → 40 requests)". */
export function describeRateChange(rate: RateChange, unit: 'req' | 'msg'): string {
  const change = rate.percent === null ? (rate.after > 0 ? 'new' : 'unchanged') : formatPercent(rate.percent);
  const noun = unit === 'req' ? 'requests' : 'messages';
  return `${formatRate(rate.before, unit)} → ${formatRate(rate.after, unit)} (${change}, ${rate.countBefore} → ${rate.countAfter} ${noun})`;
}

/** A channel's heading: "[polling] fetch · json  http://…". */
export function channelHeading(c: ChannelRef): string {
  return `[${c.kind}] ${c.transport}${c.protocol ? ` · ${c.protocol}` : ''}  ${c.url}`;
}

/** One measured aspect of a matched channel, as a label and its before → after text. */
export interface DiffRow {
  label: string;
  text: string;
  /** Whether it changed enough to mention (kind, protocol, model, a budget-sized move). */
  changed: boolean;
}

/** A rate moves "noticeably" beyond this share: two runs of one page differ by a few percent. */
const NOTICEABLE_PERCENT = 20;

/** The rows of a matched channel that exist on either side. */
export function channelRows(d: ChannelDiff): DiffRow[] {
  const rows: DiffRow[] = [];
  if (d.kind.changed) rows.push({ label: 'kind', text: `${d.kind.before} → ${d.kind.after}`, changed: true });
  if (d.protocol.changed) rows.push({ label: 'protocol', text: `${d.protocol.before ?? 'none'} → ${d.protocol.after ?? 'none'}`, changed: true });
  if (d.before.url !== d.after.url) rows.push({ label: 'endpoint', text: `${d.before.url} → ${d.after.url}`, changed: false });
  const rate = (label: string, r: RateChange, unit: 'req' | 'msg') => {
    if (r.countBefore === 0 && r.countAfter === 0) return;
    rows.push({ label, text: describeRateChange(r, unit), changed: r.percent === null ? r.after > 0 : Math.abs(r.percent) > NOTICEABLE_PERCENT });
  };
  rate('requests', d.requestRate, 'req');
  rate('messages', d.messageRate, 'msg');
  if (d.reconnects.before > 0 || d.reconnects.after > 0) {
    rows.push({ label: 'reconnects', text: `${d.reconnects.before} → ${d.reconnects.after}`, changed: d.reconnects.after > 2 * d.reconnects.before + 1 });
  }
  if (d.waste.before !== null || d.waste.after !== null) {
    const points = d.waste.points === null ? '' : ` (${formatPoints(d.waste.points)})`;
    rows.push({ label: 'waste', text: `${wastePercent(d.waste.before)} → ${wastePercent(d.waste.after)}${points}`, changed: d.waste.points === null || Math.abs(d.waste.points) >= 5 });
  }
  if (d.heartbeat.before !== null || d.heartbeat.after !== null) {
    const percent = d.heartbeat.percent === null ? '' : ` (${formatPercent(d.heartbeat.percent)})`;
    rows.push({
      label: 'heartbeat',
      text: `${heartbeatText(d.heartbeat.before)} → ${heartbeatText(d.heartbeat.after)}${percent}`,
      changed: d.heartbeat.percent === null || Math.abs(d.heartbeat.percent) > NOTICEABLE_PERCENT,
    });
  }
  if (d.backoff.before !== null || d.backoff.after !== null) {
    const notes = [d.backoff.modelChanged ? 'model changed' : '', d.backoff.changedParameters.length ? `changed: ${d.backoff.changedParameters.join(', ')}` : ''].filter(Boolean);
    rows.push({
      label: 'backoff',
      text: `${describeBackoffChange(d.backoff.before, d.backoff.after)}${notes.length ? ` [${notes.join('; ')}]` : ''}`,
      changed: d.backoff.modelChanged === true || d.backoff.changedParameters.length > 0 || (d.backoff.before === null) !== (d.backoff.after === null),
    });
  }
  return rows;
}

function sideLine(label: string, s: ReportSide): string {
  const page = s.page.url ? `${s.page.url}${s.page.title ? ` (${s.page.title})` : ''}` : 'unknown page';
  return `${label} ${page}, captured ${s.capturedAt}, ${formatMs(s.durationMs)}, ${s.channels} channel${s.channels === 1 ? '' : 's'}`;
}

/** The heading lines of a diff: both sides and the counts. */
export function diffHeading(diff: ReportDiff): string[] {
  return [
    sideLine('before:', diff.before),
    sideLine('after: ', diff.after),
    `${diff.channels.length} matched, ${diff.onlyBefore.length} only before, ${diff.onlyAfter.length} only after`,
  ];
}

function loneLines(sign: string, label: string, lone: readonly LoneChannel[]): string[] {
  return lone.flatMap((l) => [
    `${sign} ${label}: ${channelHeading(l.channel)}`,
    ...l.findings.map((f) => `    ${f.severity} ${f.code}: ${f.message}`),
  ]);
}

/** The budget verdict: "PASS budget: …" or "FAIL budget: N breaches" and one line per breach. */
export function budgetLines(breaches: readonly Breach[], source: string): string[] {
  if (breaches.length === 0) return [`PASS budget (${source}): no regression beyond the budget`];
  return [
    `FAIL budget (${source}): ${breaches.length} breach${breaches.length === 1 ? '' : 'es'}`,
    ...breaches.map((b) => `     ${b.kind} ${b.channel}: ${b.message}`),
  ];
}

/** The whole diff as plain text (one block per channel), with the budget verdict when given. */
export function formatDiffText(diff: ReportDiff, budget?: { breaches: readonly Breach[]; source: string }): string {
  const blocks: string[] = [['Realtime Inspector diff', ...diffHeading(diff).map((l) => `  ${l}`)].join('\n')];
  for (const d of diff.channels) {
    const rows = channelRows(d);
    const lines = [`${rows.some((r) => r.changed) || d.findings.added.length || d.findings.removed.length ? '~' : '='} ${channelHeading(d.after)}  (match ${d.score.toFixed(2)})`];
    const width = Math.max(...rows.map((r) => r.label.length), 0);
    for (const r of rows) lines.push(`    ${r.changed ? '*' : ' '} ${r.label.padEnd(width)}  ${r.text}`);
    for (const f of d.findings.added) lines.push(`    + ${f.severity} ${f.code}: ${f.message}`);
    for (const f of d.findings.removed) lines.push(`    - ${f.severity} ${f.code}: ${f.message}`);
    blocks.push(lines.join('\n'));
  }
  const lone = [...loneLines('-', 'only before', diff.onlyBefore), ...loneLines('+', 'only after', diff.onlyAfter)];
  if (lone.length) blocks.push(lone.join('\n'));
  if (budget) blocks.push(budgetLines(budget.breaches, budget.source).join('\n'));
  return `${blocks.join('\n\n')}\n`;
}
