/**
 * Export and import: capture files (JSON), HAR, and the report (JSON and the
 * self-contained HTML report). Redaction of credentials is on by default, for
 * all four: a report's URLs, evidence and page URL are redacted with what the
 * capture's redaction found (src/core/formats/redact.ts).
 * Imports never replace the current data unless the file parses completely.
 */
import { eventsToHar, importCaptureOrHar, redactReport, renderHtmlReport, serializeCaptureFile } from '../core/index.ts';
import type { CaptureEvent, Report } from '../core/index.ts';
import { downloadText, fileStamp } from './io.ts';
import type { ExportKind, ImportResult, Transfer } from './transfer-types.ts';

/** Largest file the panel reads (a capture of 100k messages is well below). */
export const MAX_IMPORT_BYTES = 512 * 1024 * 1024;

/** The top document of the capture (for file metadata). */
export function pageOf(events: readonly CaptureEvent[]): { url: string; title: string } {
  for (const e of events) if (e.type === 'doc.start' && e.top) return { url: e.url, title: e.title };
  return { url: '', title: '' };
}


/** The text and file name of one export. */
export function exportText(kind: ExportKind, events: readonly CaptureEvent[], report: Report, redact: boolean): { name: string; text: string; mime: string } {
  const stamp = fileStamp();
  switch (kind) {
    case 'capture-json':
      return { name: `realtime-capture-${stamp}.json`, text: serializeCaptureFile(events, pageOf(events), { redact }), mime: 'application/json' };
    case 'capture-har':
      return { name: `realtime-capture-${stamp}.har`, text: JSON.stringify(eventsToHar(events, pageOf(events), { redact }), null, 2), mime: 'application/json' };
    case 'report-json':
      return { name: `realtime-report-${stamp}.json`, text: JSON.stringify(redact ? redactReport(report, events) : report, null, 2), mime: 'application/json' };
    case 'report-html':
      return { name: `realtime-report-${stamp}.html`, text: renderHtmlReport(redact ? redactReport(report, events) : report), mime: 'text/html' };
  }
}

/** Download one export. */
export function exportFile(kind: ExportKind, events: readonly CaptureEvent[], report: Report, redact: boolean): void {
  const { name, text, mime } = exportText(kind, events, report, redact);
  downloadText(name, text, mime);
}

/** Parse an imported file: a capture file or a HAR. Returns the events, or a message saying why not. */
export function parseImport(text: string): ImportResult {
  try {
    const imported = importCaptureOrHar(text);
    return { ok: true, events: imported.events, format: imported.format, skipped: imported.skipped.length };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Read a File chosen by the user and parse it. */
export async function readImport(file: File): Promise<ImportResult> {
  if (file.size > MAX_IMPORT_BYTES) return { ok: false, error: `File too large (${file.size} bytes; limit ${MAX_IMPORT_BYTES}).` };
  const text = await file.text();
  return parseImport(text);
}

/** The panel's import/export, as App takes it. */
export const transfer: Transfer = { readImport, exportFile };
