/**
 * The body hash of http.end events (FNV-1a 32-bit over the body's bytes, as
 * 8 hex digits), for bodies that arrive from an import rather than the page
 * hooks. Same function as the hooks' (src/content/page/payload.ts), so a
 * response imported from a HAR compares equal to the same response captured live.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit of bytes as 8 lower-case hex digits. */
export function bodyHashOf(bytes: Uint8Array): string {
  let h = FNV_OFFSET;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV_PRIME);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
