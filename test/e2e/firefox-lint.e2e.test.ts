/**
 * `web-ext lint` (Mozilla's add-on linter, web-ext 10.7) on the BUILT Firefox add-on
 * (dist-firefox/, or RI_DIST_FIREFOX): no error, and only the warnings README's "Firefox"
 * section lists and justifies (a new one fails here until it is justified there).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import chromeManifest from '../../manifest.json' with { type: 'json' };
import { FIREFOX_ADDON_ID, FIREFOX_MIN_VERSION } from '../../manifest.firefox.ts';
import { FIREFOX_DIST_DIR } from '../support/firefox.ts';

interface LintMessage {
  code: string;
  message: string;
  file?: string;
}

interface LintReport {
  summary: { errors: number; warnings: number; notices: number };
  errors: LintMessage[];
  warnings: LintMessage[];
  notices: LintMessage[];
}

/** The warnings README justifies, by code, with the message each may carry. */
const JUSTIFIED_WARNINGS: Record<string, RegExp> = {
  // data_collection_permissions exists from Firefox 140 (desktop) / 142 (Android); 128-139 ignore it.
  KEY_FIREFOX_UNSUPPORTED_BY_MIN_VERSION: /^Manifest key not supported by the specified minimum Firefox version$/,
  KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION: /^Manifest key not supported by the specified minimum Firefox for Android version$/,
  // chrome.debugger ("Include workers" in Chrome): the code checks that it exists; Firefox has none.
  UNSUPPORTED_API: /^debugger\.\w+ is not supported$/,
  // Preact's own dangerouslySetInnerHTML support, in the bundled library; the panel never uses it.
  UNSAFE_VAR_ASSIGNMENT: /^Unsafe assignment to innerHTML$/,
};

const run = promisify(execFile);

describe('web-ext lint on the Firefox build', () => {
  it('finds no error, and only the warnings README justifies', async () => {
    const bin = join(import.meta.dirname, '../../node_modules/.bin/web-ext');
    // web-ext lint exits 1 when it finds errors; its JSON report is on stdout either way.
    const { stdout } = await run(bin, ['lint', '--source-dir', FIREFOX_DIST_DIR, '--output', 'json', '--no-config-discovery'], { maxBuffer: 32 << 20 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    const report = JSON.parse(stdout) as LintReport;
    expect(report.errors).toEqual([]);
    const unjustified = report.warnings.filter((w) => !JUSTIFIED_WARNINGS[w.code]?.test(w.message));
    expect(unjustified).toEqual([]);
    // Only the Chrome-only API warnings come from our code, and only from the background's worker capture.
    const apiWarnings = report.warnings.filter((w) => w.code === 'UNSUPPORTED_API');
    expect(new Set(apiWarnings.map((w) => w.file)).size).toBe(1);
  }, 120_000);

  it('builds the manifest Firefox needs from the Chrome one', () => {
    const manifest = JSON.parse(readFileSync(join(FIREFOX_DIST_DIR, 'manifest.json'), 'utf8'));
    expect(manifest.browser_specific_settings.gecko).toMatchObject({ id: FIREFOX_ADDON_ID, strict_min_version: FIREFOX_MIN_VERSION });
    expect(manifest.background).toEqual({ scripts: ['service-worker-loader.js'], type: 'module' });
    expect(manifest).not.toHaveProperty('minimum_chrome_version');
    expect(manifest).not.toHaveProperty('optional_permissions');
    expect(manifest.permissions).toEqual(chromeManifest.permissions);
    expect(manifest.devtools_page).toBe(chromeManifest.devtools_page);
    // The hooks in the page's own world, before its scripts, in every frame; the relay beside them.
    expect(manifest.content_scripts).toEqual([
      expect.objectContaining({ js: ['src/content/page/index.js'], world: 'MAIN', run_at: 'document_start', all_frames: true, matches: ['<all_urls>'] }),
      expect.objectContaining({ js: ['src/content/relay.js'], run_at: 'document_start', all_frames: true, matches: ['<all_urls>'] }),
    ]);
    expect(manifest.content_scripts[1]).not.toHaveProperty('world');
  });
});
