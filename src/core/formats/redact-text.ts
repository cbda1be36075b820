/**
 * Credential redaction inside text of any shape, whole or cut short (a body or a
 * frame truncated at the capture's cap), and inside text nested in text. Rules,
 * in order:
 * 1. JSON keys: the value of every credential-named key, found lexically (`"key":`
 *    anywhere), so JSON after a prefix (socket.io `42`, SSE `data: `), several JSON
 *    values in one text (NDJSON, SignalR records) and JSON cut short are all covered;
 *    a credential whose value is an array or an object has every scalar in it replaced.
 * 2. JSON strings: each string literal is decoded and redacted as text in turn
 *    (ActionCable's `identifier`, JSON or form text sent as a JSON string), and
 *    re-encoded only when something in it changed.
 * 3. Lines `name: value` and `name=value` (STOMP frames, HTTP-like headers, .env-like
 *    text), with STOMP's `login` in a CONNECT or STOMP frame.
 * 4. Free text: user-info in URLs; credential-named parameters in URLs, fragments and
 *    form-encoded text (`access_token=…&refresh_token=…`), and JSON or base64 JSON in
 *    other parameters' values; JWTs; self-describing token formats; `Bearer`/`Basic`
 *    credentials.
 * Every replaced value is reported to `found`, so that the caller can remove the same
 * secret wherever else it appears.
 */
import { base64ToBytes, strictUtf8Text } from '../protocols/util.ts';
import { isCredentialHeader, isCredentialJsonKey, isCredentialName, JWT, NAMED_TOKEN, REDACTED } from './redact-names.ts';

/** Receives every secret a rule replaced. */
export type FoundSecret = (secret: string) => void;

/** How deep nested encodings are followed (JSON in a string in JSON…); beyond it only the rules of the level apply. */
const MAX_NESTING = 6;
/** The replacement inside a URL or form value, where brackets would need encoding. */
const ENCODED_REDACTED = encodeURIComponent(REDACTED);

/** Redact credentials in a text, whole or cut short; returns the same string when nothing was found. */
export function redactText(text: string, found: FoundSecret, depth = 0): string {
  if (text.length < 3) return text;
  let out = redactJsonKeys(text, found);
  if (depth < MAX_NESTING) out = redactNestedStrings(out, found, depth);
  out = redactLines(out, found);
  return redactFreeText(out, found, depth);
}

/** Report a credential value and the token-like parts of it (a header's `Bearer x`, a cookie list, Basic's user:password). */
export function collectSecret(value: string, found: FoundSecret): void {
  found(value);
  for (const part of value.match(/[A-Za-z0-9._~+/-]{8,}={0,2}/g) ?? []) found(part);
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)$/i.exec(value.trim());
  const decoded = basic ? strictUtf8Text(base64ToBytes(basic[1]!)) : null;
  if (decoded?.includes(':')) {
    found(decoded);
    found(decoded.slice(decoded.indexOf(':') + 1));
  }
}

// --- 1. JSON keys ---

const JSON_KEY = /"((?:[^"\\\r\n]|\\.){1,200})"\s*:\s*/g;
const STRING_BODY = /(?:[^"\\]|\\[\s\S]?)*/y;
const NUMBER = /-?\d[\d.eE+-]*/y;

/** Decode the inside of a JSON string literal, leniently (a literal cut short or with bad escapes still decodes). */
export function decodeJsonString(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(u[0-9a-fA-F]{4}|[\s\S]?)/g, (_, esc: string) => {
    if (esc.length === 5) return String.fromCharCode(parseInt(esc.slice(1), 16));
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', u: '' };
    return simple[esc] ?? esc;
  });
}

/** Where the string literal opening at `i` ends (after its closing quote, or the end of a text cut short). */
function stringEnd(text: string, i: number): { end: number; closed: boolean } {
  STRING_BODY.lastIndex = i + 1;
  STRING_BODY.exec(text);
  const j = STRING_BODY.lastIndex;
  return j < text.length ? { end: j + 1, closed: true } : { end: j, closed: false };
}

/** Where the array or object opening at `i` ends (after its closing bracket, or the end of a text cut short). */
function containerEnd(text: string, i: number): number {
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 34 /* " */) j = stringEnd(text, j).end - 1;
    else if (c === 91 /* [ */ || c === 123 /* { */) depth++;
    else if ((c === 93 /* ] */ || c === 125) /* } */ && --depth === 0) return j + 1;
  }
  return text.length;
}

/** Every scalar value in a JSON fragment replaced (keys and structure kept). */
function redactAllScalars(fragment: string, found: FoundSecret): string {
  return fragment.replace(/"(?:[^"\\]|\\[\s\S]?)*"?|-?\d[\d.eE+-]*/g, (token, offset: number) => {
    if (token.startsWith('"')) {
      if (/^\s*:/.test(fragment.slice(offset + token.length, offset + token.length + 16))) return token;
      found(decodeJsonString(token.slice(1, token.length > 1 && token.endsWith('"') ? -1 : undefined)));
    } else {
      found(token);
    }
    return `"${REDACTED}"`;
  });
}

/** The replacement of the value that starts at `i` after a credential key, or null for true/false/null/nothing. */
function credentialValue(text: string, i: number, found: FoundSecret): { replacement: string; end: number } | null {
  const c = text[i];
  if (c === '"') {
    const { end, closed } = stringEnd(text, i);
    const raw = text.slice(i + 1, closed ? end - 1 : end);
    if (raw === REDACTED) return null;
    collectSecret(decodeJsonString(raw), found);
    return { replacement: `"${REDACTED}"`, end };
  }
  if (c === '[' || c === '{') {
    const end = containerEnd(text, i);
    return { replacement: redactAllScalars(text.slice(i, end), found), end };
  }
  NUMBER.lastIndex = i;
  const number = NUMBER.exec(text);
  if (!number) return null;
  found(number[0]);
  return { replacement: `"${REDACTED}"`, end: i + number[0].length };
}

function redactJsonKeys(text: string, found: FoundSecret): string {
  if (!text.includes('"')) return text;
  const keys = new RegExp(JSON_KEY.source, 'g');
  let out = '';
  let last = 0;
  for (let m = keys.exec(text); m; m = keys.exec(text)) {
    if (!isCredentialJsonKey(decodeJsonString(m[1]!))) continue;
    const start = m.index + m[0].length;
    const value = credentialValue(text, start, found);
    if (!value) continue;
    out += text.slice(last, start) + value.replacement;
    last = value.end;
    keys.lastIndex = value.end;
  }
  return last === 0 ? text : out + text.slice(last);
}

// --- 2. JSON strings that hold text with its own structure ---

/** A JSON string literal (no raw control characters: a literal that meets one is not JSON). */
const STRING_LITERAL = /"((?:[^"\\\x00-\x1f]|\\[\s\S]?)*)("?)/g;
/** Decoded text only differs from the literal through its escapes: without one, the other rules already see the literal's text as it is. */
const NESTED_HINT = /\\/;

function redactNestedStrings(text: string, found: FoundSecret, depth: number): string {
  if (!text.includes('"')) return text;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(STRING_LITERAL)) {
    const raw = m[1]!;
    const closed = m[2] === '"';
    const after = m.index + m[0].length;
    if (!closed && after < text.length) continue;
    if (raw.length < 6 || !NESTED_HINT.test(raw)) continue;
    if (closed && /^\s*:/.test(text.slice(after, after + 16))) continue;
    const decoded = decodeJsonString(raw);
    const inner = redactText(decoded, found, depth + 1);
    if (inner === decoded) continue;
    out += text.slice(last, m.index + 1) + JSON.stringify(inner).slice(1, -1);
    last = m.index + 1 + raw.length;
  }
  return last === 0 ? text : out + text.slice(last);
}

// --- 3. Lines ---

const LINE_FIELD = /^([ \t]*)([A-Za-z][A-Za-z0-9_.-]*)([ \t]*[:=][ \t]*)([^\r\n]*)/gm;
/** STOMP 1.2 §"CONNECT or STOMP Frame": the client frames that carry `login` and `passcode`. */
const STOMP_CONNECT = /^\n*(?:CONNECT|STOMP)\r?\n/;

function redactLines(text: string, found: FoundSecret): string {
  if (!/[\r\n]/.test(text)) return text;
  const stomp = STOMP_CONNECT.test(text);
  return text.replace(LINE_FIELD, (whole, indent: string, name: string, separator: string, value: string) => {
    if (value === '' || value === REDACTED) return whole;
    if (!(isCredentialHeader(name) || isCredentialJsonKey(name) || (stomp && name === 'login'))) return whole;
    collectSecret(value.replace(/\0$/, ''), found);
    return `${indent}${name}${separator}${REDACTED}`;
  });
}

// --- 4. Free text ---

const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s"'<>\\]+)@/gi;
/** A `name=value` parameter: in a URL, a fragment, form-encoded text, or at the start of a JSON string or a line. */
const PARAM = /(^|[?&#;\s:,"])([A-Za-z0-9_.\-[\]%+]{1,100})=([^?&#;\s"'<>]*)/gm;
/** An HTTP authentication credential in text (RFC 9110 §11.4); with a digit or padding, so that prose ("Basic authentication") is left alone. */
const AUTH_SCHEME = /\b(Bearer|Basic)(\s+)(?=[A-Za-z0-9._~+/-]*[0-9=])([A-Za-z0-9._~+/-]{8,}={0,2})/gi;

function decodeComponent(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** A non-credential parameter whose value is JSON or base64 JSON (AWS AppSync's `header=`) with credentials in it. */
function redactNestedParam(value: string, found: FoundSecret, depth: number): string | null {
  if (depth >= MAX_NESTING) return null;
  const decoded = decodeComponent(value);
  if (decoded === null) return null;
  if (/^\s*[{[]/.test(decoded)) {
    const inner = redactText(decoded, found, depth + 1);
    return inner === decoded ? null : encodeURIComponent(inner);
  }
  // base64 of `{"`, `["` or `[{`.
  if (/^(?:eyJ|WyJ|W3s)[A-Za-z0-9+/_-]*={0,2}$/.test(decoded)) {
    const json = strictUtf8Text(base64ToBytes(decoded));
    if (json !== null && redactText(json, found, depth + 1) !== json) {
      found(decoded);
      return ENCODED_REDACTED;
    }
  }
  return null;
}

function redactFreeText(text: string, found: FoundSecret, depth: number): string {
  let out = text;
  if (out.includes('://')) {
    out = out.replace(USER_INFO, (whole, scheme: string, info: string) => {
      if (info === REDACTED) return whole;
      const decoded = decodeComponent(info) ?? info;
      found(decoded);
      for (const part of decoded.split(':')) found(part);
      return `${scheme}${REDACTED}@`;
    });
  }
  if (out.includes('=')) {
    // An OAuth authorization response (RFC 6749 §4.1.2) carries `code` with `state`: the code is a credential there.
    const oauthCode = /[?&#]state=/.test(out);
    out = out.replace(PARAM, (whole, lead: string, rawName: string, value: string) => {
      if (value === '' || value === ENCODED_REDACTED) return whole;
      const name = decodeComponent(rawName) ?? rawName;
      if (isCredentialName(name) || (oauthCode && name === 'code')) {
        collectSecret(decodeComponent(value) ?? value, found);
        return `${lead}${rawName}=${ENCODED_REDACTED}`;
      }
      const nested = redactNestedParam(value, found, depth);
      return nested === null ? whole : `${lead}${rawName}=${nested}`;
    });
  }
  out = out.replace(JWT, (token) => {
    found(token);
    return REDACTED;
  });
  out = out.replace(NAMED_TOKEN, (token) => {
    found(token);
    return REDACTED;
  });
  return out.replace(AUTH_SCHEME, (whole, scheme: string, space: string, credential: string) => {
    collectSecret(`${scheme}${space}${credential}`, found);
    return `${scheme}${space}${REDACTED}`;
  });
}
