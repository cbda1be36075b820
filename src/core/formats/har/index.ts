/**
 * HAR 1.2 import and export (w3c.github.io/web-performance/specs/HAR/Overview.html)
 * with Chrome DevTools' extensions; import reads Chrome DevTools', Firefox's and
 * Playwright's HARs by what their fields mean (source.ts).
 */
export { eventsToHar, type HarExportOptions } from './export.ts';
export { HarEntryError } from './fields.ts';
export { harToEvents, importHar, type HarImport } from './import.ts';
export type { HarSource } from './source.ts';
export type { Har, HarEntry, HarEventSourceMessage, HarPage, HarWebSocketMessage } from './types.ts';
