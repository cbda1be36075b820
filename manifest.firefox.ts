/**
 * The Firefox manifest, derived from the Chrome one (manifest.json) so that the two never drift:
 * only what Firefox needs differently is changed here, and every change is checked by
 * `web-ext lint` (test/e2e/firefox-lint.e2e.test.ts) and by a real Firefox (test/e2e/firefox.e2e.test.ts).
 */
import chromeManifest from './manifest.json' with { type: 'json' };

/** The add-on id Firefox knows the extension by (stable across installs; its pages' moz-extension UUID is per profile). */
export const FIREFOX_ADDON_ID = 'realtime-inspector@realtime-inspector.dev';

/**
 * Firefox 128 is the first to run content scripts in the MAIN world from the manifest, which the
 * hooks need (@mdn/browser-compat-data, as bundled with web-ext 10.7's linter:
 * webextensions.manifest.content_scripts.world and .match_origin_as_fallback, version_added 128).
 */
export const FIREFOX_MIN_VERSION = '128.0';

type Manifest = typeof chromeManifest;

/** The Firefox MV3 manifest for a Chrome MV3 manifest of this extension. */
export function firefoxManifest(manifest: Manifest) {
  // Firefox always clones extension messages structurally: `message_serialization` is Chrome's opt-in to the same.
  const { minimum_chrome_version: _chromeOnly, message_serialization: _cloneInChrome, optional_permissions, background, ...rest } = manifest;
  const firefoxOptional = optional_permissions.filter((p) => p !== 'debugger');
  return {
    ...rest,
    // Firefox runs MV3 background code as an event page (background.scripts), not a service worker
    // (@mdn/browser-compat-data: webextensions.manifest.background.service_worker, firefox version_added false).
    background: { scripts: [background.service_worker], type: background.type },
    // There is no chrome.debugger in Firefox: "Include workers" has nothing to ask for.
    ...(firefoxOptional.length > 0 ? { optional_permissions: firefoxOptional } : {}),
    browser_specific_settings: {
      gecko: {
        id: FIREFOX_ADDON_ID,
        strict_min_version: FIREFOX_MIN_VERSION,
        // Firefox's built-in data consent (Firefox 140+, Android 142+, @mdn/browser-compat-data; older
        // versions ignore the key): the extension makes no network request of its own (README
        // "Privacy", measured in Chromium by test/e2e/privacy.e2e.test.ts).
        data_collection_permissions: { required: ['none'] },
      },
    },
  };
}
