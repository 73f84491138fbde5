import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The library, the `steerlm` executable and the demo's training worker, all at the top of dist/
// (the worker is found beside the bundle that starts it); declarations for the library only.
export default defineConfig({
  ...packageBuild,
  entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'demo-training-worker': 'src/demo/demo-training-worker.ts' },
  dts: { entry: { index: 'src/index.ts' } },
});
