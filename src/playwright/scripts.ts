/**
 * The two scripts the Playwright route injects into every frame, built by
 * scripts/build-playwright.mjs (part of `npm run build`) next to this module's
 * bundle: the page hooks (src/content/page/index.ts, the extension's MAIN-world
 * content script, as a standalone IIFE) and this route's relay (page-relay.ts, an
 * IIFE exposing `__riPlaywrightRelay.start`). Run from source (vitest, tsx), the
 * module finds them in lib/playwright/ at the repository root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** File names of the built scripts, as scripts/build-playwright.mjs writes them. */
export const HOOKS_FILE = 'page-hooks.js';
export const RELAY_FILE = 'page-relay.js';

let cached: { hooks: string; relay: string } | null = null;

function dirWithScripts(): string {
  const candidates = [new URL('./', import.meta.url), new URL('../../lib/playwright/', import.meta.url)];
  for (const dir of candidates) if (existsSync(new URL(HOOKS_FILE, dir))) return fileURLToPath(dir);
  throw new Error(`realtime-inspector/playwright: the page scripts are not built (${HOOKS_FILE} not found): run \`npm run build\``);
}

/** The page hooks' and the relay's source. */
export function pageScripts(): { hooks: string; relay: string } {
  if (cached) return cached;
  const dir = dirWithScripts();
  cached = { hooks: readFileSync(`${dir}/${HOOKS_FILE}`, 'utf8'), relay: readFileSync(`${dir}/${RELAY_FILE}`, 'utf8') };
  return cached;
}
