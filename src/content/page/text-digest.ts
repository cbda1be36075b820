/**
 * The body hash of a large text body the page read with `text()` or `json()`
 * (BodyWatch.finishWithText): textBodyHash samples the text, and each endpoint's last such
 * body is kept so that the next one is compared with it whole. What the waste judgement
 * asks of a poll's body is whether it equals the last one the client holds
 * (src/core/metrics/waste.ts); a sampled hash alone would call "unchanged" a poll whose
 * counter or timestamp changed deep in the body, the false verdict that kept whole-body
 * hashing of bytes (src/core/formats/body-hash.ts, FULL_BODY_HASH_MAX_BYTES). Comparing two
 * strings is one native pass, and nothing when their lengths differ.
 *
 * So for two consecutive bodies of one endpoint: equal texts get equal hashes, and texts
 * that differ get different hashes even where the samples agree (a serial is appended).
 * Bodies further apart compare by the sampled hash.
 */
import { textBodyHash } from '../../core/formats/body-hash.ts';
import { stringIndexOf, stringSlice } from '../../core/primordials.ts';

/** Endpoints whose last large text is kept. */
const MAX_ENDPOINTS = 16;
/**
 * Characters kept over all endpoints (the page's own strings, kept alive: 2 bytes a char at
 * most). A text longer than this is not kept, and its next body compares by the sampled hash.
 */
const MAX_KEPT_CHARS = 4 * 1024 * 1024;

interface Last {
  endpoint: string;
  text: string;
  /** The hash given to `text`. */
  hash: string;
  /** textBodyHash of `text`, before any serial. */
  sampled: string;
}

/** The kept texts, oldest first (a short list searched in order: no page-replaceable Map or Array method). */
let kept: Last[] = [];
let keptChars = 0;
let serial = 0;

/** The endpoint a URL polls: the URL without its query and fragment (cache busters, cursors). */
export function endpointOf(method: string, url: string): string {
  const query = stringIndexOf(url, '?');
  const hash = stringIndexOf(url, '#');
  const end = query < 0 ? hash : hash < 0 ? query : query < hash ? query : hash;
  return `${method} ${end < 0 ? url : stringSlice(url, 0, end)}`;
}

/** `kept` without its entries for which `drop` is true. */
function keptWithout(drop: (entry: Last) => boolean): Last[] {
  const left: Last[] = [];
  for (let i = 0; i < kept.length; i++) {
    const entry = kept[i]!;
    if (drop(entry)) keptChars -= entry.text.length;
    else left[left.length] = entry;
  }
  return left;
}

/** The http.end bodyHash of `text` (`size` bytes), a body of `endpoint` (endpointOf). */
export function digestText(endpoint: string, text: string, size: number): string {
  let last: Last | undefined;
  for (let i = 0; i < kept.length; i++) if (kept[i]!.endpoint === endpoint) last = kept[i];
  if (last !== undefined && last.text === text) return last.hash;
  const sampled = textBodyHash(text, size);
  const hash = last !== undefined && last.sampled === sampled ? `${sampled}.${++serial}` : sampled;
  if (last !== undefined) kept = keptWithout((entry) => entry === last);
  if (text.length <= MAX_KEPT_CHARS) {
    // Drop the oldest until this one fits.
    let drop = 0;
    let chars = keptChars;
    while (drop < kept.length && (kept.length - drop >= MAX_ENDPOINTS || chars + text.length > MAX_KEPT_CHARS)) chars -= kept[drop++]!.text.length;
    if (drop > 0) {
      const oldest = kept;
      kept = keptWithout((entry) => {
        for (let i = 0; i < drop; i++) if (oldest[i] === entry) return true;
        return false;
      });
    }
    kept[kept.length] = { endpoint, text, hash, sampled };
    keptChars += text.length;
  }
  return hash;
}
