/**
 * Capture files and HAR: export with redaction, import with clear errors.
 * `importCaptureOrHar` reads either, for the CLI and the panel.
 */
import type { CaptureEvent } from '../events.ts';
import { captureFromJson, CaptureFormatError, parseJsonText, type SkippedEvent } from './capture-file.ts';
import { importHar } from './har/index.ts';

export {
  CAPTURE_FORMAT,
  captureFromJson,
  CaptureFormatError,
  describeSkipped,
  parseCaptureFile,
  serializeCaptureFile,
  type ExportOptions,
  type ParsedCaptureFile,
  type SkippedEvent,
} from './capture-file.ts';
export { eventsToHar, harToEvents, HarEntryError, importHar, type Har, type HarEntry, type HarExportOptions, type HarImport, type HarSource } from './har/index.ts';
export { isCredentialHeader, isCredentialName, REDACTED, Redactor, redactEvents, redactReport, redactUrl } from './redact.ts';
export { bodyHashOf } from './body-hash.ts';

/** What an imported file held. */
export interface ImportedCapture {
  format: 'capture' | 'har';
  events: CaptureEvent[];
  page: { url: string; title: string };
  /** Events (capture) or entries (HAR) that were invalid and left out. */
  skipped: SkippedEvent[];
}

/** Read a capture file or a HAR from its text; throws CaptureFormatError with a readable message. */
export function importCaptureOrHar(text: string): ImportedCapture {
  const json = parseJsonText(text, 'file');
  if (typeof json === 'object' && json !== null && 'log' in json) {
    const har = importHar(json);
    return { format: 'har', events: har.events, page: har.page, skipped: har.skipped };
  }
  if (typeof json !== 'object' || json === null || !('format' in json)) {
    throw new CaptureFormatError('Not a capture file or HAR: expected a JSON object with "format": "realtime-inspector-capture" or a "log" object.');
  }
  const file = captureFromJson(json);
  return { format: 'capture', events: file.events, page: file.page, skipped: file.skipped };
}
