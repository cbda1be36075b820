import type { FindingRule } from './types.ts';
import { formatMs, median, round3 } from '../stats.ts';

/** Share of wasted polls above which a push channel or conditional requests pay off. */
export const HIGH_WASTE_RATIO = 0.5;

/** Most polls return nothing new (docs/domain.md, "Polling"). */
export const pollingWaste: FindingRule = {
  code: 'polling-waste-high',
  title: 'Most polls carry no news',
  severity: 'warning',
  description: 'Wasted polls are server work for nothing; for server→client updates, push (SSE) sends only what changed.',
  check({ classification, waste, latency }) {
    if (waste.wasteRatio === null || waste.judged.length < 3 || waste.wasteRatio < HIGH_WASTE_RATIO) return null;
    const pct = Math.round(waste.wasteRatio * 100);
    const interval = latency.intervalMs?.median ?? null;
    const conditional = waste.reasons.some((r) => r === 'status-304');
    // How often the data changed: the median time between responses that carried news. docs/domain.md's
    // decision tree asks this, not the polling interval: data changing more often than every 30 s suits
    // long polling; rarer changes, polling at about their pace.
    const news = waste.judged.filter((_, i) => waste.reasons[i] === null).map((r) => r.start);
    const changeGaps = news.slice(1).map((t, i) => t - news[i]!);
    const changeEvery = changeGaps.length > 0 ? median(changeGaps) : null;
    const pace =
      changeEvery === null
        ? ''
        : changeEvery < 30_000
          ? ` or long polling (the data changed about every ${formatMs(changeEvery)}, more often than every 30 s)`
          : `, or poll about as often as the data changes (about every ${formatMs(changeEvery)})`;
    const advice =
      classification.kind === 'long-polling'
        ? 'Held requests that time out empty still cost a round trip each: for server→client updates, SSE keeps one connection open instead.'
        : `Server→client updates only: use SSE (near-instant, low server load)${pace}; ${conditional ? 'the server already answers 304, so requests are cheap but still constant' : 'at minimum send ETag/If-None-Match so unchanged polls cost a 304'}.`;
    return {
      severity: 'warning',
      code: this.code,
      message: `${pct}% of ${waste.judged.length} polls were wasted (no new data)${interval !== null ? `, polling every ${formatMs(interval)}` : ''}.`,
      evidence: {
        wasted: waste.wasted,
        judged: waste.judged.length,
        wasteRatio: round3(waste.wasteRatio),
        wastedBytes: waste.wastedBytes,
        intervalMs: interval,
        dataChangedEveryMs: changeEvery,
        // The fields whose moves were not counted as news, so that a reader can check the call.
        clocks: waste.clocks.length > 0 ? waste.clocks.join(', ') : null,
      },
      advice,
    };
  },
};
