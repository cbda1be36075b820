/**
 * The Firefox manifest, derived from the Chrome one (manifest.json) so that the two never drift:
 * only what Firefox needs differently is changed here, and every change is checked by
 * `web-ext lint` (test/e2e/firefox-lint.e2e.test.ts) and by a real Firefox (test/e2e/firefox.e2e.test.ts).
 */
import chromeManifest from './manifest.json' with { type: 'json' };

/** The add-on id Firefox knows the extension by (stable across installs; its pages' moz-extension UUID is per profile). */
export const FIREFOX_ADDON_ID = 'realtime-inspector@realtime-inspector.dev';

/**
 * Firefox 128 is the first to run content scripts in the MAIN world from the manifest
 * (`world: "MAIN"`, MDN content_scripts, "Browser compatibility"), which the hooks need.
 */
export const FIREFOX_MIN_VERSION = '128.0';

type Manifest = typeof chromeManifest;
type ContentScript = Manifest['content_scripts'][number];

/** The Firefox MV3 manifest for a Chrome MV3 manifest of this extension. */
export function firefoxManifest(manifest: Manifest) {
  const { minimum_chrome_version: _chromeOnly, optional_permissions, background, content_scripts, ...rest } = manifest;
  const firefoxOptional = optional_permissions.filter((p) => p !== 'debugger');
  return {
    ...rest,
    // Firefox runs MV3 background code as an event page (background.scripts), not a service worker
    // (background.service_worker is not supported, MDN manifest.json/background).
    background: { scripts: [background.service_worker], type: background.type },
    // There is no chrome.debugger in Firefox: "Include workers" has nothing to ask for.
    ...(firefoxOptional.length > 0 ? { optional_permissions: firefoxOptional } : {}),
    content_scripts: content_scripts.map((script: ContentScript) => ({ ...script })),
    browser_specific_settings: {
      gecko: {
        id: FIREFOX_ADDON_ID,
        strict_min_version: FIREFOX_MIN_VERSION,
        // Firefox's built-in data consent (Firefox 140+; older versions ignore the key): the
        // extension sends nothing anywhere (README "Privacy", test/e2e/privacy.e2e.test.ts).
        data_collection_permissions: { required: ['none'] },
      },
    },
  };
}
