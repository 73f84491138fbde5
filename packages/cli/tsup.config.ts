import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';
import { bundlePlayground } from './src/playground/playground-bundle';

// The library, the `steerlm` executable and the demo's training worker, all at the top of dist/
// (the worker is found beside the bundle that starts it); declarations for the library only.
export default defineConfig({
  ...packageBuild,
  entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'demo-training-worker': 'src/demo/demo-training-worker.ts' },
  dts: { entry: { index: 'src/index.ts' } },
  // The static playground's browser bundle and onnxruntime-web runtime, in dist/playground/ (see playground-bundle.ts).
  async onSuccess() {
    await bundlePlayground(fileURLToPath(new URL('./dist/playground/', import.meta.url)), {
      entry: fileURLToPath(new URL('./src/playground/browser/playground-app.ts', import.meta.url)),
    });
  },
});
