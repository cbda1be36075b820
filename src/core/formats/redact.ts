/**
 * Credential redaction for every export: capture files, HAR, and the report (JSON
 * and HTML, from the panel and the CLI), on by default. Two passes over a capture:
 * 1. rules by place and by shape (redact-names.ts, redact-text.ts, redact-binary.ts):
 *    credential headers; user-info and credential parameters in URLs, fragments and
 *    form-encoded text; credential keys in JSON, whole or cut at the capture's cap,
 *    and in JSON nested in strings (ActionCable `identifier`); line-based frames
 *    (STOMP CONNECT `login`/`passcode`); JWTs and self-describing token formats;
 *    token-like WebSocket subprotocols; MQTT CONNECT user name and password; a token
 *    that a chunk boundary of a streamed body split is masked in both chunks;
 * 2. every secret pass 1 found is removed wherever else it appears (echoed by a
 *    server, in a close reason, in a finding's evidence, in binary frames).
 * Sizes, body hashes, times and ids stay as captured, so the analysis of a redacted
 * file is unchanged but for what the credentials themselves said.
 */
import type { CaptureEvent, EventOf, HeaderList, Payload } from '../events.ts';
import { maskBytes, redactBinary, redactSplitMqttConnect, utf8AsLatin1 } from './redact-binary.ts';
import { isCredentialHeader, redactSubprotocol, REDACTED, subprotocolSecret } from './redact-names.ts';
import { collectSecret, redactText, type FoundSecret } from './redact-text.ts';

export { isCredentialHeader, isCredentialName, REDACTED } from './redact-names.ts';

/**
 * Whether a found secret is also looked for everywhere else: long enough, and not a
 * plain word or number, so that removing it cannot rewrite unrelated text ("guest",
 * "12345678" stay where they are not credentials).
 */
function isDistinctive(secret: string): boolean {
  if (secret.length < 8 || secret.includes(REDACTED) || /^(.)\1*$/.test(secret)) return false;
  return secret.length >= 16 ? !/^[a-z]+$/i.test(secret) : /[0-9]/.test(secret) && /[A-Za-z]/.test(secret);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Fields that hold ids and enums, never page text: not searched for secrets. */
const STRUCTURE_FIELDS = new Set(['type', 'doc', 'conn', 'parentDoc', 'encoding', 'transport', 'dir', 'where', 'initiator', 'phase', 'fault', 'hook', 'contentType']);

/** One redaction: the secrets it found, so that later text (a page URL, a report) loses them too. */
export class Redactor {
  private readonly secrets = new Set<string>();
  private textPattern: RegExp | null = null;
  private bytePattern: RegExp | null = null;
  private stale = false;

  /** Record a secret found by a rule (and the encodings it may appear in). */
  readonly found: FoundSecret = (secret) => {
    const variants = [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+'), JSON.stringify(secret).slice(1, -1)];
    for (const v of variants) {
      if (!isDistinctive(v) || this.secrets.has(v)) continue;
      this.secrets.add(v);
      this.stale = true;
    }
  };

  /** Record a credential known from elsewhere (a header or cookie the CLI was given). */
  addSecret(value: string): void {
    collectSecret(value, this.found);
  }

  /** Every event redacted: rules first (collecting secrets), then every secret removed wherever else it appears. */
  events(events: readonly CaptureEvent[]): CaptureEvent[] {
    const replaced = new Map<CaptureEvent, CaptureEvent>();
    this.splitSecrets(events, replaced);
    this.splitMqttConnects(events, replaced);
    const first = events.map((e) => this.workerOrigin(this.byRule(replaced.get(e) ?? e)));
    return first.map((e) => this.scrubEvent(e));
  }

  /** A text (a URL, a title, a report's string) redacted by the rules and of every secret found so far. */
  text(value: string): string {
    return this.scrub(redactText(value, this.found));
  }

  /** A JSON value (a report) with every string in it redacted as `text` does; keys and non-strings kept. */
  value<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.text(v);
      if (Array.isArray(v)) return v.map(walk);
      if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }

  // --- Pass 1: rules ---

  private headers(headers: HeaderList): HeaderList {
    return headers.map(([name, value]): [string, string] => {
      if (isCredentialHeader(name)) {
        collectSecret(value, this.found);
        return [name, REDACTED];
      }
      if (name.toLowerCase() === 'sec-websocket-protocol') return [name, value.split(/\s*,\s*/).map((p) => this.subprotocol(p)).join(', ')];
      return [name, redactText(value, this.found)];
    });
  }

  private subprotocol(protocol: string): string {
    const secret = subprotocolSecret(protocol);
    if (secret === null) return protocol;
    this.found(secret);
    return redactSubprotocol(protocol);
  }

  private payload(p: Payload): Payload {
    const data = p.encoding === 'text' ? redactText(p.data, this.found) : redactBinary(p.data, this.found);
    return data === p.data ? p : { ...p, data };
  }

  /** A worker's script URL (`origin.url` of worker traffic) can carry a token as any URL can. */
  private workerOrigin(e: CaptureEvent): CaptureEvent {
    if (!('origin' in e) || e.origin === undefined) return e;
    const url = redactText(e.origin.url, this.found);
    return url === e.origin.url ? e : { ...e, origin: { ...e.origin, url } };
  }

  private byRule(e: CaptureEvent): CaptureEvent {
    const text = (s: string) => redactText(s, this.found);
    switch (e.type) {
      case 'doc.start':
        return { ...e, url: text(e.url), title: text(e.title) };
      case 'sse.create':
        return { ...e, url: text(e.url) };
      case 'ws.create':
        return { ...e, url: text(e.url), protocols: e.protocols.map((p) => this.subprotocol(p)) };
      case 'ws.open':
        return { ...e, protocol: this.subprotocol(e.protocol) };
      case 'http.request':
        return { ...e, url: text(e.url), headers: this.headers(e.headers) };
      case 'http.response':
        return { ...e, url: text(e.url), statusText: text(e.statusText), headers: this.headers(e.headers) };
      case 'http.end':
        return e.body ? { ...e, body: this.payload(e.body) } : e;
      case 'http.chunk':
        // A binary stream's chunk (gRPC-web, Connect, multipart) carries its bytes as a payload too.
        return { ...e, preview: text(e.preview), ...(e.data ? { data: this.payload(e.data) } : {}) };
      case 'http.error':
      case 'hook.error':
        return { ...e, message: text(e.message) };
      case 'ws.message':
        return { ...e, data: this.payload(e.data) };
      case 'sse.message':
        return { ...e, data: this.payload(e.data), id: e.id === null ? null : text(e.id), lastEventId: text(e.lastEventId) };
      case 'sse.comment':
        return { ...e, text: text(e.text) };
      case 'ws.close':
        return { ...e, reason: text(e.reason) };
      case 'wt.create':
        return { ...e, url: text(e.url) };
      case 'wt.ready':
        return { ...e, protocol: this.subprotocol(e.protocol) };
      case 'wt.data':
      case 'wt.datagram':
        return { ...e, data: this.payload(e.data) };
      case 'wt.close':
        return { ...e, reason: text(e.reason) };
      case 'wt.error':
      case 'wt.stream.end':
        return { ...e, message: text(e.message) };
      case 'fault':
        return { ...e, params: Object.fromEntries(Object.entries(e.params).map(([k, v]) => [k, typeof v === 'string' ? text(v) : v])) };
      default:
        return e;
    }
  }

  /**
   * A streamed body's chunks (SSE or NDJSON read through fetch/XHR) cut wherever the
   * network did: a token split between two chunks is whole in neither. Each stream is
   * redacted as one text, and every secret found in it is masked in each chunk that
   * holds a part of it.
   */
  private splitSecrets(events: readonly CaptureEvent[], replaced: Map<CaptureEvent, CaptureEvent>): void {
    const streams = new Map<string, Array<EventOf<'http.chunk'>>>();
    for (const e of events) {
      if (e.type !== 'http.chunk' || e.preview === '') continue;
      const chunks = streams.get(e.conn);
      if (chunks) chunks.push(e);
      else streams.set(e.conn, [e]);
    }
    for (const chunks of streams.values()) {
      if (chunks.length < 2) continue;
      const stream = chunks.map((c) => c.preview).join('');
      const secrets = new Set<string>();
      redactText(stream, (s) => {
        secrets.add(s);
        this.found(s);
      });
      const ranges: Array<[number, number]> = [];
      for (const s of secrets) {
        if (s.length < 4) continue;
        for (let i = stream.indexOf(s); i >= 0; i = stream.indexOf(s, i + s.length)) ranges.push([i, i + s.length]);
      }
      if (ranges.length === 0) continue;
      ranges.sort((a, b) => b[0] - a[0]);
      let offset = 0;
      for (const chunk of chunks) {
        const start = offset;
        const end = (offset += chunk.preview.length);
        let preview = chunk.preview;
        let cut = Number.POSITIVE_INFINITY;
        for (const [from, to] of ranges) {
          const a = Math.max(from, start) - start;
          const b = Math.min(to, end, cut + start) - start;
          if (a >= b) continue;
          preview = preview.slice(0, a) + REDACTED + preview.slice(b);
          cut = a;
        }
        if (preview !== chunk.preview) replaced.set(chunk, { ...chunk, preview });
      }
    }
  }

  /** An MQTT CONNECT that a client wrote in several binary frames: its credentials masked across them (redact-binary.ts). */
  private splitMqttConnects(events: readonly CaptureEvent[], replaced: Map<CaptureEvent, CaptureEvent>): void {
    const firstFrames = new Map<string, Array<EventOf<'ws.message'>>>();
    const ended = new Set<string>();
    for (const e of events) {
      if (e.type !== 'ws.message' || e.dir !== 'out' || ended.has(e.conn)) continue;
      const frames = firstFrames.get(e.conn) ?? [];
      // A CONNECT is the first packet, and has at most a few hundred bytes: the first binary frames hold it.
      if (e.data.encoding !== 'binary' || frames.length === 16) {
        ended.add(e.conn);
        continue;
      }
      frames.push(e);
      firstFrames.set(e.conn, frames);
    }
    for (const frames of firstFrames.values()) {
      if (frames.length < 2) continue;
      const masked = redactSplitMqttConnect(frames.map((f) => f.data.data), this.found);
      masked?.forEach((data, i) => {
        const frame = frames[i]!;
        if (data !== frame.data.data) replaced.set(frame, { ...frame, data: { ...frame.data, data } });
      });
    }
  }

  // --- Pass 2: every secret found, wherever else it is ---

  private patterns(): void {
    if (!this.stale) return;
    this.stale = false;
    // Longest first, so that a secret containing another goes as a whole.
    const sorted = [...this.secrets].sort((a, b) => b.length - a.length);
    this.textPattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null;
    this.bytePattern = sorted.length ? new RegExp(sorted.map((s) => escapeRegExp(utf8AsLatin1(s))).join('|'), 'g') : null;
  }

  private scrub(text: string): string {
    this.patterns();
    return this.textPattern ? text.replace(this.textPattern, REDACTED) : text;
  }

  private scrubValue(v: unknown): unknown {
    if (typeof v === 'string') return this.scrub(v);
    if (typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) {
      const out = v.map((x) => this.scrubValue(x));
      return out.some((x, i) => x !== v[i]) ? out : v;
    }
    const record = v as Record<string, unknown>;
    if (record.encoding === 'binary' && typeof record.data === 'string') {
      this.patterns();
      const data = this.bytePattern ? maskBytes(record.data, this.bytePattern) : record.data;
      return data === record.data ? v : { ...record, data };
    }
    let out: Record<string, unknown> | null = null;
    for (const [k, x] of Object.entries(record)) {
      if (STRUCTURE_FIELDS.has(k)) continue;
      const y = this.scrubValue(x);
      if (y !== x) (out ??= { ...record })[k] = y;
    }
    return out ?? v;
  }

  private scrubEvent(e: CaptureEvent): CaptureEvent {
    this.patterns();
    return this.textPattern ? (this.scrubValue(e) as CaptureEvent) : e;
  }
}

/** Every event with its credentials redacted (new objects where anything changed). */
export function redactEvents(events: readonly CaptureEvent[]): CaptureEvent[] {
  return new Redactor().events(events);
}

/** A URL (or any text) with its credentials redacted: user-info, credential parameters, tokens. */
export function redactUrl(url: string): string {
  return redactText(url, () => {});
}

/**
 * A report (or any JSON value derived from a capture) with every string redacted:
 * by the rules, and of every secret found in the capture it was made from and in
 * `knownSecrets` (credentials given to the CLI).
 */
export function redactReport<T>(report: T, events: readonly CaptureEvent[], knownSecrets: readonly string[] = []): T {
  const redactor = new Redactor();
  redactor.events(events);
  for (const secret of knownSecrets) redactor.addSecret(secret);
  return redactor.value(report);
}
