import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The test server (index) and, as its own entry, the browser-bundle helpers (esbuild + Chromium) that the
// browser-safe packages' tests share.
// The test tools stay imports (a bundled copy of vitest would not be the runner's).
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/browser-bundle.ts'], external: ['vitest', 'esbuild', 'playwright-core'] });
