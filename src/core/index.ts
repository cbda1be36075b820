/**
 * Public API of the analysis core, used by the panel, the CLI and the tests.
 * Pure and deterministic: events in, plain JSON out.
 */
export { Analyzer, analyzeCapture, DEFAULT_USERS } from './analyzer.ts';
export type { AnalyzerOptions } from './analyzer.ts';
export type { ChannelSeries } from './series.ts';
export { renderHtmlReport } from './html-report.ts';
export { normalizeEndpoint, channelKey } from './channels.ts';
export { fitBackoff, referenceBackoffMs } from './metrics/backoff.ts';
export { describeBackoff, describeBackoffShape, describeStall } from './describe.ts';
export type { BackoffFit } from './metrics/backoff.ts';
export { REPORT_VERSION } from './report-types.ts';
export type * from './report-types.ts';
export type { CaptureEvent, CaptureFile } from './events.ts';
