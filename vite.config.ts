import { defineConfig, type UserConfig } from 'vite';
import preact from '@preact/preset-vite';
import { crx } from '@crxjs/vite-plugin';
import manifest from './manifest.json' with { type: 'json' };

/** One build of the extension for one browser (Chrome here; Firefox in vite.firefox.config.ts). */
export function extensionConfig(target: { browser: 'chrome' | 'firefox'; manifest: object; outDir: string }): UserConfig {
  // Both content scripts run at document_start and must be self-contained IIFEs:
  // crxjs' default async loader would install the MAIN-world hooks after the page's
  // first scripts ran (see INTERNALS.md).
  return defineConfig({
    plugins: [
      preact(),
      crx({
        manifest: target.manifest as never,
        browser: target.browser,
        contentScripts: { standaloneFiles: ['src/content/page/index.ts', 'src/content/relay.ts'] },
      }),
    ],
    build: {
      outDir: target.outDir,
      emptyOutDir: true,
      sourcemap: false,
      rolldownOptions: { input: { panel: 'src/panel/panel.html' } },
    },
    server: { host: '127.0.0.1' },
  });
}

export default extensionConfig({ browser: 'chrome', manifest, outDir: 'dist' });
