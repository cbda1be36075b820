import manifest from './manifest.json' with { type: 'json' };
import { firefoxManifest } from './manifest.firefox.ts';
import { extensionConfig } from './vite.config.ts';

/** The Firefox build (`npm run build:firefox`): same sources, the Firefox manifest, its own folder. */
export default extensionConfig({ browser: 'firefox', manifest: firefoxManifest(manifest), outDir: 'dist-firefox' });
