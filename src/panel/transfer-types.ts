/**
 * The import/export surface the App uses (implemented in transfer.ts over the
 * core's formats), kept separate so the UI does not depend on the formats module.
 */
import type { CaptureEvent, Report } from '../core/index.ts';

export type ExportKind = 'capture-json' | 'capture-har' | 'report-json' | 'report-html';

/** `skipped`: invalid events (capture) or entries (HAR) left out of an otherwise valid file. */
export type ImportResult = { ok: true; events: CaptureEvent[]; format: 'capture' | 'har'; skipped: number } | { ok: false; error: string };

export interface Transfer {
  readImport(file: File): Promise<ImportResult>;
  exportFile(kind: ExportKind, events: readonly CaptureEvent[], report: Report, redact: boolean): void;
}
