/**
 * "Copy as" commands for a channel: cURL for HTTP (polling, long-polling, SSE,
 * streaming) and websocat for WebSocket. Values are single-quoted for POSIX shells.
 */
import type { HeaderList } from '../core/events.ts';

/** Quote a value for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Headers the browser sets itself; copying them would only add noise or break the request. */
const BROWSER_HEADERS = new Set(['host', 'connection', 'content-length', 'accept-encoding', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']);

/** A cURL command that repeats an HTTP request (-N for streams, so output is not buffered). */
export function curlCommand(opts: { url: string; method?: string; headers?: HeaderList; stream?: boolean }): string {
  const parts = ['curl'];
  if (opts.stream) parts.push('-N');
  const method = (opts.method ?? 'GET').toUpperCase();
  if (method !== 'GET') parts.push('-X', shellQuote(method));
  for (const [name, value] of opts.headers ?? []) {
    if (BROWSER_HEADERS.has(name.toLowerCase())) continue;
    parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  if (opts.stream && !(opts.headers ?? []).some(([n]) => n.toLowerCase() === 'accept')) parts.push('-H', shellQuote('Accept: text/event-stream'));
  parts.push(shellQuote(opts.url));
  return parts.join(' ');
}

/** A websocat command that opens the same WebSocket (subprotocols via --protocol). */
export function websocatCommand(opts: { url: string; protocols?: string[] }): string {
  const parts = ['websocat'];
  if (opts.protocols?.length) parts.push('--protocol', shellQuote(opts.protocols.join(', ')));
  parts.push(shellQuote(opts.url));
  return parts.join(' ');
}
