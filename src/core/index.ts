/**
 * Public API of the analysis core, used by the panel, the CLI and the tests.
 * Pure and deterministic: events in, plain JSON out.
 */
export { Analyzer, analyzeCapture, DEFAULT_USERS } from './analyzer.ts';
export type { AnalyzerOptions } from './analyzer.ts';
export type { ChannelSeries } from './series.ts';
export { renderHtmlReport } from './html-report.ts';
export { normalizeEndpoint, channelKey, successorChannel } from './channels.ts';
export { fitBackoff, referenceBackoffMs } from './metrics/backoff.ts';
export { describeBackoff, describeBackoffShape, describeHeartbeat, describeStall } from './describe.ts';
export type { BackoffFit } from './metrics/backoff.ts';
export { REPORT_VERSION } from './report-types.ts';
export type * from './report-types.ts';
export type { CaptureEvent, CaptureFile } from './events.ts';

// What the panel and the CLI use besides the analysis itself. They import the core only
// through this file (biome.json holds it), so what the core offers them is listed here.
export { CAPTURE_SCHEMA_VERSION, isHttp } from './events.ts';
export type { Direction, HeaderList, Payload, SseMessageEvent, Transport, WorkerOrigin } from './events.ts';
export { isPolled } from './report-types.ts';
export { formatBytes, formatMs, median } from './stats.ts';
export { IDLE_LIMIT_MS } from './metrics/heartbeat.ts';
export { decodeMessage, getDecoder } from './protocols/index.ts';
export { flattenDecoded, payloadBytes } from './protocols/util.ts';
export type { MessageContext, MessageRole } from './protocols/types.ts';
export { isFramedStream } from './protocol-support.ts';
export { SequenceLabeller } from './sequence-labeller.ts';
export { CaptureFormatError, describeSkipped, eventsToHar, importCaptureOrHar, Redactor, redactReport, serializeCaptureFile } from './formats/index.ts';
export {
  BudgetError,
  budgetLines,
  checkBudget,
  DEFAULT_BUDGET,
  diffReports,
  formatDiffText,
  looksLikeReport,
  parseBudget,
  parseReport,
  renderDiffHtml,
  ReportInputError,
} from './diff/index.ts';
export type { Breach, Budget, ReportDiff } from './diff/index.ts';
