/**
 * Reading a report JSON written earlier (`audit --json`, `analyze --json`, the panel's export)
 * as a baseline: the fields the diff and the budget read are checked, each problem named by
 * its path, so that a wrong or hand-edited file fails with a sentence rather than a crash.
 */
import { REPORT_VERSION, type Report } from '../report-types.ts';

/** The file is not a report the diff can read; the message lists what is wrong. */
export class ReportInputError extends Error {
  override name = 'ReportInputError';
}

/** Whether a parsed JSON value claims to be a report (rather than a capture file or a HAR). */
export function looksLikeReport(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'channels' in value && 'summary' in value && !('format' in value) && !('log' in value);
}

const KINDS = ['polling', 'long-polling', 'sse', 'websocket', 'streaming', 'one-off'];
const TRANSPORTS = ['fetch', 'xhr', 'eventsource', 'websocket', 'webtransport'];
const SEVERITIES = ['error', 'warning', 'info'];
const MODELS = ['fixed', 'linear', 'exponential', 'schedule'];
const CONFIDENCES = ['high', 'medium', 'low'];
/** At most this many problems are listed: past that the file is simply something else. */
const MAX_PROBLEMS = 8;

type Json = Record<string, unknown>;

/** Check a parsed report JSON; returns it typed, or throws ReportInputError naming each problem. */
export function parseReport(value: unknown): Report {
  const problems: string[] = [];
  let unlisted = 0;
  const problem = (path: string, expected: string, got: unknown) => {
    if (problems.length >= MAX_PROBLEMS) unlisted++;
    else problems.push(`${path}: expected ${expected}, got ${JSON.stringify(got) ?? 'nothing'}`);
  };
  const obj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  const field = (o: Json, key: string, path: string, ok: (v: unknown) => boolean, expected: string) => {
    if (!ok(o[key])) problem(`${path}.${key}`, expected, o[key]);
  };
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const numOrNull = (v: unknown) => v === null || num(v);
  const str = (v: unknown) => typeof v === 'string';
  const strOrNull = (v: unknown) => v === null || str(v);
  const oneOf = (list: string[]) => (v: unknown) => typeof v === 'string' && list.includes(v);

  if (!obj(value)) throw new ReportInputError('not a report: expected a JSON object');
  if (value.version !== REPORT_VERSION) throw new ReportInputError(`report version ${JSON.stringify(value.version)} is not supported (expected ${REPORT_VERSION})`);
  if (!obj(value.page)) problem('page', 'an object {url, title}', value.page);
  else {
    field(value.page, 'url', 'page', str, 'a string');
    field(value.page, 'title', 'page', str, 'a string');
  }
  field(value, 'capturedAt', 'report', str, 'an ISO date string');
  field(value, 'durationMs', 'report', num, 'a number');
  if (!Array.isArray(value.channels)) problem('channels', 'an array', value.channels);
  else {
    value.channels.forEach((c: unknown, i: number) => {
      const path = `channels[${i}]`;
      if (!obj(c)) return problem(path, 'an object', c);
      field(c, 'id', path, str, 'a string');
      field(c, 'url', path, str, 'a string');
      field(c, 'sampleUrl', path, str, 'a string');
      field(c, 'kind', path, oneOf(KINDS), `one of ${KINDS.join(', ')}`);
      field(c, 'transport', path, oneOf(TRANSPORTS), `one of ${TRANSPORTS.join(', ')}`);
      field(c, 'protocol', path, strOrNull, 'a string or null');
      field(c, 'requests', path, num, 'a number');
      field(c, 'wasteRatio', path, numOrNull, 'a number or null');
      if (!obj(c.messages) || !num(c.messages.in) || !num(c.messages.out)) problem(`${path}.messages`, '{in, out} numbers', c.messages);
      if (c.heartbeat !== null && (!obj(c.heartbeat) || !numOrNull(c.heartbeat.intervalMs))) problem(`${path}.heartbeat`, 'null or {intervalMs, ...}', c.heartbeat);
      if (c.backoff !== null) {
        if (!obj(c.backoff)) problem(`${path}.backoff`, 'null or an object', c.backoff);
        else {
          field(c.backoff, 'model', `${path}.backoff`, oneOf(MODELS), `one of ${MODELS.join(', ')}`);
          field(c.backoff, 'confidence', `${path}.backoff`, oneOf(CONFIDENCES), `one of ${CONFIDENCES.join(', ')}`);
          field(c.backoff, 'initialMs', `${path}.backoff`, num, 'a number');
          field(c.backoff, 'factor', `${path}.backoff`, num, 'a number');
          field(c.backoff, 'maxMs', `${path}.backoff`, numOrNull, 'a number or null');
          field(c.backoff, 'jitter', `${path}.backoff`, (v) => typeof v === 'boolean', 'true or false');
          field(c.backoff, 'delaysMs', `${path}.backoff`, Array.isArray, 'an array');
        }
      }
      if (!Array.isArray(c.findings)) problem(`${path}.findings`, 'an array', c.findings);
      else {
        c.findings.forEach((f: unknown, k: number) => {
          const fpath = `${path}.findings[${k}]`;
          if (!obj(f)) return problem(fpath, 'an object', f);
          field(f, 'severity', fpath, oneOf(SEVERITIES), `one of ${SEVERITIES.join(', ')}`);
          field(f, 'code', fpath, str, 'a string');
          field(f, 'message', fpath, str, 'a string');
        });
      }
    });
  }
  if (unlisted > 0) problems.push(`(and ${unlisted} more)`);
  if (problems.length > 0) throw new ReportInputError(`not a valid report:\n  ${problems.join('\n  ')}`);
  return value as unknown as Report;
}
