/**
 * Untrusted values in user-facing messages (import errors, the guard's reasons):
 * each shown on one line and cut short, without recursing into the value (a file
 * or a page message may nest arrays a hundred thousand deep, which
 * JSON.stringify cannot walk without overflowing the stack).
 */

/** How many characters of a quoted string a message shows. */
const QUOTED_CHARS = 60;

/** `text` with line breaks and other control characters escaped, cut at `max` characters. */
export function oneLine(text: string, max = 300): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A value as a message shows it: a short JSON-quoted string, a number, or the kind of value it is; 'missing' for undefined. */
export function quoteValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return oneLine(JSON.stringify(value.length > QUOTED_CHARS ? `${value.slice(0, QUOTED_CHARS)}…` : value));
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a${typeof value === 'object' ? 'n object' : ` ${typeof value}`}`;
}
