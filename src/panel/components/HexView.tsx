/**
 * A classic hex dump (offset, 16 bytes, ASCII) of the first bytes of a payload.
 */
import type { Payload } from '../../core/events.ts';

/** Bytes shown at most (binary captures only keep the first bytes anyway). */
export const HEX_MAX_BYTES = 4096;

/** The payload's bytes: base64-decoded for binary, UTF-8 encoded for text. */
export function payloadBytes(p: Payload): Uint8Array {
  if (p.encoding === 'binary') {
    try {
      const raw = atob(p.data);
      const out = new Uint8Array(Math.min(raw.length, HEX_MAX_BYTES));
      for (let i = 0; i < out.length; i++) out[i] = raw.charCodeAt(i);
      return out;
    } catch {
      return new Uint8Array(0);
    }
  }
  return new TextEncoder().encode(p.data.slice(0, HEX_MAX_BYTES)).slice(0, HEX_MAX_BYTES);
}

/** Format bytes as hex dump lines. */
export function hexLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const chunk = bytes.subarray(off, off + 16);
    const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines;
}

/** Hex dump of a payload. */
export function HexView({ payload }: { payload: Payload }) {
  const bytes = payloadBytes(payload);
  const shown = bytes.length < payload.size;
  return (
    <div class="hex-view">
      <pre class="hex" data-testid="hex">{hexLines(bytes).join('\n')}</pre>
      {shown ? <div class="muted">Showing the first {bytes.length} of {payload.size} bytes (the capture keeps a bounded preview).</div> : null}
    </div>
  );
}
