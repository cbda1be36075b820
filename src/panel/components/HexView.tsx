/**
 * A classic hex dump (offset, 16 bytes, ASCII) of the first bytes of a payload.
 */
import { payloadBytes } from '../../core/index.ts';
import type { Payload } from '../../core/index.ts';

/** Bytes shown at most (binary captures only keep the first bytes anyway). */
export const HEX_MAX_BYTES = 4096;

/** The first HEX_MAX_BYTES of a payload (base64-decoded for binary, UTF-8 for text); empty when the capture is malformed. */
export function shownBytes(p: Payload): Uint8Array {
  try {
    return payloadBytes(p).subarray(0, HEX_MAX_BYTES);
  } catch {
    return new Uint8Array(0);
  }
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
  const bytes = shownBytes(payload);
  const shown = bytes.length < payload.size;
  return (
    <div class="hex-view">
      <pre class="hex" data-testid="hex">{hexLines(bytes).join('\n')}</pre>
      {shown ? <div class="muted">Showing the first {bytes.length} of {payload.size} bytes (the capture keeps a bounded preview).</div> : null}
    </div>
  );
}
