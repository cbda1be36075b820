/** Baselines and diff: match the channels of two reports, compare them, judge a regression budget. */
export { matchChannels, channelSimilarity, valueSimilarity, MIN_MATCH_SCORE } from './match.ts';
export type { ChannelMatching, ChannelPair } from './match.ts';
export { diffReports, DIFF_VERSION } from './compare.ts';
export type { ChannelDiff, ChannelRef, FindingRef, LoneChannel, RateChange, ReportDiff, ReportSide } from './compare.ts';
export { BudgetError, checkBudget, DEFAULT_BUDGET, parseBudget } from './budget.ts';
export type { Breach, Budget, BudgetRules, ChannelBudget } from './budget.ts';
export { looksLikeReport, parseReport, ReportInputError } from './report-input.ts';
export { budgetLines, formatDiffText } from './words.ts';
export { renderDiffHtml } from './html.ts';
