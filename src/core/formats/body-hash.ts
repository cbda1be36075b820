/**
 * The body hash of http.end events: FNV-1a 32-bit over the body's bytes, as 8 hex
 * digits. One implementation for the page hooks (incremental, chunk by chunk) and
 * for imports, so a response imported from a HAR compares equal to the same
 * response captured live.
 */

/** FNV-1a 32-bit offset basis: the running hash before any byte. */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit, incremental: feed bytes into a running hash. */
export function fnv1a(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** A hash as 8 lower-case hex digits. */
export function hashHex(hash: number): string {
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** FNV-1a 32-bit of bytes as 8 lower-case hex digits. */
export function bodyHashOf(bytes: Uint8Array): string {
  return hashHex(fnv1a(FNV_OFFSET, bytes));
}
