/**
 * Credential redaction for exports (capture files and HAR), on by default:
 * credential headers, credential-like query parameters and user-info in
 * URLs, and credential-like keys inside JSON payloads (graphql-ws
 * connection_init, Centrifugo connect tokens, Pusher auth...). Sizes and body
 * hashes stay as captured, so the analysis of a redacted file is unchanged.
 */
import type { CaptureEvent, HeaderList, Payload } from '../events.ts';

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'set-cookie2',
  'x-api-key',
  'api-key',
  'apikey',
  'x-auth-token',
  'x-access-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-amz-security-token',
  'x-goog-api-key',
]);

/** Header names that look like credentials even when not listed: *-token, *-secret, *-api-key, *-signature, *-session. */
const CREDENTIAL_HEADER_PATTERN = /(^|-)(token|secret|api-?key|signature|session|password|auth)$/i;

/** Query parameter (and JSON key) names that carry credentials. */
const CREDENTIAL_NAME_PATTERN =
  /^(.*[-_.])?(token|access[-_]?token|refresh[-_]?token|id[-_]?token|auth|authorization|key|api[-_]?key|apikey|sig|signature|password|passwd|pwd|pass|passcode|secret|client[-_]?secret|jwt|session|session[-_]?id|sessionid|credential|credentials|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature)$/i;

/** True when a header's value is a credential. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_HEADERS.has(lower) || CREDENTIAL_HEADER_PATTERN.test(lower);
}

/** True when a query parameter or JSON key of this name carries a credential. */
export function isCredentialName(name: string): boolean {
  // camelCase names (authToken, apiKey, sessionId) split like snake_case ones.
  return CREDENTIAL_NAME_PATTERN.test(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
}

/** JSON keys are redacted by the same names, except the generic `key` and `sig` that payloads use for other things. */
function isCredentialJsonKey(name: string): boolean {
  return isCredentialName(name) && !/^(key|sig|session)$/i.test(name);
}

/** Headers with credential values replaced. */
export function redactHeaders(headers: HeaderList): HeaderList {
  return headers.map(([name, value]) => [name, isCredentialHeader(name) ? REDACTED : value]);
}

/**
 * A URL with credential query parameters and user-info replaced. Works on the
 * raw string so that everything else (order, encoding, fragments) is kept.
 */
export function redactUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@?#]*)@/i, (_, scheme: string) => `${scheme}${REDACTED}@`);
  out = out.replace(/([?&#;])([^=&#;]+)=([^&#;]*)/g, (whole, sep: string, rawName: string) => {
    let name = rawName;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      // Keep the raw name when it is not valid percent-encoding.
    }
    return isCredentialName(name) ? `${sep}${rawName}=${encodeURIComponent(REDACTED)}` : whole;
  });
  return out;
}

function redactJsonValue(value: unknown, depth: number): { value: unknown; changed: boolean } {
  if (depth > 32 || typeof value !== 'object' || value === null) return { value, changed: false };
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const r = redactJsonValue(v, depth + 1);
      changed ||= r.changed;
      return r.value;
    });
    return { value: changed ? out : value, changed };
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isCredentialJsonKey(k) && (typeof v === 'string' || typeof v === 'number')) {
      out[k] = REDACTED;
      changed = true;
    } else {
      const r = redactJsonValue(v, depth + 1);
      changed ||= r.changed;
      out[k] = r.value;
    }
  }
  return { value: changed ? out : value, changed };
}

/**
 * Redact credential-like keys in a text payload that is JSON, or JSON after a
 * short non-JSON prefix (socket.io `42`, SignalR's trailing \x1e is kept).
 * Other payloads are returned unchanged.
 */
export function redactPayloadText(text: string): string {
  const start = text.search(/[[{]/);
  if (start < 0 || start > 16) return text;
  const end = text.endsWith('\x1e') ? text.length - 1 : text.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(start, end));
  } catch {
    return text;
  }
  const r = redactJsonValue(parsed, 0);
  return r.changed ? text.slice(0, start) + JSON.stringify(r.value) + text.slice(end) : text;
}

function redactPayload(p: Payload): Payload {
  if (p.encoding !== 'text') return p;
  const data = redactPayloadText(p.data);
  return data === p.data ? p : { ...p, data };
}

/** One event with its credentials redacted (a new object when anything changed). */
export function redactEvent(e: CaptureEvent): CaptureEvent {
  switch (e.type) {
    case 'doc.start':
    case 'sse.create':
    case 'ws.create':
      return { ...e, url: redactUrl(e.url) };
    case 'http.request':
      return { ...e, url: redactUrl(e.url), headers: redactHeaders(e.headers) };
    case 'http.response':
      return { ...e, url: redactUrl(e.url), headers: redactHeaders(e.headers) };
    case 'http.end':
      return e.body ? { ...e, body: redactPayload(e.body) } : e;
    case 'http.chunk':
      return { ...e, preview: redactPayloadText(e.preview) };
    case 'ws.message':
    case 'sse.message':
      return { ...e, data: redactPayload(e.data) };
    default:
      return e;
  }
}

/** Every event redacted. */
export function redactEvents(events: readonly CaptureEvent[]): CaptureEvent[] {
  return events.map(redactEvent);
}
