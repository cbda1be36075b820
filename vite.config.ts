import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { crx } from '@crxjs/vite-plugin';
import manifest from './manifest.json' with { type: 'json' };

// Both content scripts run at document_start and must be self-contained IIFEs:
// crxjs' default async loader would install the MAIN-world hooks after the page's
// first scripts ran (see INTERNALS.md).
export default defineConfig({
  plugins: [
    preact(),
    crx({
      manifest: manifest as never,
      contentScripts: { standaloneFiles: ['src/content/page/index.ts', 'src/content/relay.ts'] },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    rolldownOptions: { input: { panel: 'src/panel/panel.html' } },
  },
  server: { host: '127.0.0.1' },
});
