/**
 * The body hash of a large text body the page read with `text()` or `json()`
 * (BodyWatch.finishWithText): textBodyHash samples the text, and the texts seen with each
 * sample hash are kept, so that a text whose samples match one seen before is compared
 * whole. What the waste judgement asks of a poll's body is whether it equals the last one
 * the client holds (src/core/metrics/waste.ts); a sampled hash alone would call "unchanged"
 * a poll whose counter or timestamp changed deep in the body, the false verdict that kept
 * whole-body hashing of bytes (src/core/formats/body-hash.ts, FULL_BODY_HASH_MAX_BYTES).
 * Comparing two strings is one native pass, and nothing when their lengths differ.
 *
 * So, whatever channel or URL they come from: two different texts never get the same hash
 * (the first text with given samples gets the sample hash, every other text with the same
 * samples a serial after it), and equal texts get the same hash while the first is kept
 * (MAX_KEPT, MAX_KEPT_CHARS; one dropped since reads as a new body, i.e. as changed, never as
 * unchanged). Keyed by samples, not by URL: the core groups a channel's requests by a
 * pattern of URLs (ids in paths, volatile query keys) that the hooks do not know.
 */
import { textBodyHash } from '../../core/formats/body-hash.ts';

/** Texts kept for whole comparison. */
const MAX_KEPT = 64;
/**
 * Characters kept over all texts (the page's own strings, kept alive: 2 bytes a char at
 * most). A text longer than this is not kept: the next equal one reads as a new body.
 */
const MAX_KEPT_CHARS = 4 * 1024 * 1024;
/** Sample hashes remembered as seen; beyond, the memory starts again (README, Known limitations). */
const MAX_SEEN = 65_536;

interface Kept {
  sampled: string;
  text: string;
  hash: string;
}

/** The kept texts, oldest first (a short list searched in order: no page-replaceable Map or Array method). */
let kept: Kept[] = [];
let keptChars = 0;
// Taken when the module loads (document_start in the page hooks, before any page script).
const createObject = Object.create;
/** Sample hashes given out, as members of an object without prototype (no page code runs on lookup). */
let seen: Record<string, true> = createObject(null) as Record<string, true>;
let seenCount = 0;
let serial = 0;

/** Keep `entry`, dropping the oldest kept texts until it fits. */
function keep(entry: Kept): void {
  const length = entry.text.length;
  if (length > MAX_KEPT_CHARS) return;
  let drop = 0;
  let chars = keptChars;
  while (drop < kept.length && (kept.length - drop >= MAX_KEPT || chars + length > MAX_KEPT_CHARS)) chars -= kept[drop++]!.text.length;
  if (drop > 0) {
    const left: Kept[] = [];
    for (let i = drop; i < kept.length; i++) left[left.length] = kept[i]!;
    kept = left;
  }
  kept[kept.length] = entry;
  keptChars = chars + length;
}

/** The http.end bodyHash of `text`, a body of `size` bytes. */
export function digestText(text: string, size: number): string {
  const sampled = textBodyHash(text, size);
  for (let i = kept.length - 1; i >= 0; i--) {
    const k = kept[i]!;
    if (k.sampled === sampled && k.text === text) return k.hash;
  }
  let hash = sampled;
  if (seen[sampled] === true) hash = `${sampled}.${++serial}`;
  else {
    if (seenCount >= MAX_SEEN) {
      seen = createObject(null) as Record<string, true>;
      seenCount = 0;
    }
    seen[sampled] = true;
    seenCount++;
  }
  keep({ sampled, text, hash });
  return hash;
}
