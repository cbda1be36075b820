/**
 * "Copy as" commands for a channel: cURL for HTTP (polling, long-polling, SSE,
 * streaming) and websocat for WebSocket. Everything in them comes from the page
 * (or from an imported file), so a command is built only from what a browser
 * could have sent: an http(s) or ws(s) URL, a method and header names that are
 * HTTP tokens, header values without control characters; every argument is
 * single-quoted for a POSIX shell. Anything else makes no command (null), never
 * a command that does something other than repeat the request when pasted:
 * websocat reads a URL like `sh-c:…` or `exec:…` as "run this program", cURL
 * reads `file:`, `-o…` and `{a,b}`/`[1-9]` globs.
 */
import type { HeaderList } from '../core/index.ts';

/** Quote a value for a POSIX shell: one single-quoted word that the shell gives back unchanged. */
export function shellQuote(value: string): string {
  // A shell argument cannot hold NUL (C strings end there): no quoting would give it back.
  if (value.includes('\0')) throw new RangeError('a shell argument cannot contain NUL');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** RFC 9110 §5.6.2 token: what a method, a header name and a WebSocket subprotocol (RFC 6455 §4.1) may be. */
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * RFC 9110 §5.5: a field value holds no CR, LF or NUL (fetch and XHR refuse them). Other C0 and C1
 * controls, tab included, are refused too: pasted into a terminal, ESC or CSI could end a bracketed
 * paste or rewrite what the user sees, and a tab asks an interactive shell to complete a file name.
 */
const FIELD_VALUE = /^[^\0-\x1f\x7f-\x9f]*$/;

/** The URL as the command will request it, or null when its scheme is not one of `schemes`. */
function allowedUrl(raw: string, schemes: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  // href is the parsed, canonical form: the scheme is lower case, spaces, braces, brackets and quotes are
  // percent-encoded, so the argument starts with the scheme and holds nothing a tool reads as syntax.
  return schemes.includes(url.protocol) ? url.href : null;
}

/** Headers the browser sets itself; copying them would only add noise or break the request. */
const BROWSER_HEADERS = new Set(['host', 'connection', 'content-length', 'accept-encoding', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']);

/**
 * A cURL command that repeats an HTTP request (-N for streams, so output is not buffered),
 * or null when the URL is not http(s) or the method is not an HTTP token. Headers a browser
 * could not have sent are left out.
 */
export function curlCommand(opts: { url: string; method?: string; headers?: HeaderList; stream?: boolean }): string | null {
  const url = allowedUrl(opts.url, ['http:', 'https:']);
  const method = (opts.method ?? 'GET').toUpperCase();
  if (url === null || !HTTP_TOKEN.test(method)) return null;
  // -g: no URL globbing ({a,b} and [1-9] would make several requests); --url: the URL is never read as an option.
  const parts = ['curl', '-g'];
  if (opts.stream) parts.push('-N');
  if (method !== 'GET') parts.push('-X', shellQuote(method));
  const headers = (opts.headers ?? []).filter(([name, value]) => HTTP_TOKEN.test(name) && FIELD_VALUE.test(value) && !BROWSER_HEADERS.has(name.toLowerCase()));
  for (const [name, value] of headers) parts.push('-H', shellQuote(`${name}: ${value}`));
  if (opts.stream && !headers.some(([n]) => n.toLowerCase() === 'accept')) parts.push('-H', shellQuote('Accept: text/event-stream'));
  parts.push('--url', shellQuote(url));
  return parts.join(' ');
}

/**
 * A websocat command that opens the same WebSocket (subprotocols via --protocol), or null
 * when the URL is not ws(s) (websocat reads other "URLs" as programs to run or sockets to
 * open) or a subprotocol is not a token (the WebSocket constructor refuses those).
 */
export function websocatCommand(opts: { url: string; protocols?: readonly string[] }): string | null {
  const url = allowedUrl(opts.url, ['ws:', 'wss:']);
  const protocols = opts.protocols ?? [];
  if (url === null || !protocols.every((p) => HTTP_TOKEN.test(p))) return null;
  const parts = ['websocat'];
  // One argument `--protocol=…`: a value starting with '-' cannot be read as another option.
  if (protocols.length) parts.push(shellQuote(`--protocol=${protocols.join(', ')}`));
  // `--` ends the options: the URL is the positional specifier whatever it holds.
  parts.push('--', shellQuote(url));
  return parts.join(' ');
}
