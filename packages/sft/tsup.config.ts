import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The root entry and the subpath entries of package.json "exports"; code they share goes into common
// chunks, so module state (the kernel switch, the pipeline cache, the backend) exists once.
export default defineConfig({
  ...packageBuild,
  entry: { index: 'src/index.ts', kernels: 'src/kernels/index.ts', io: 'src/io/index.ts', trainer: 'src/trainer/index.ts', browser: 'src/browser.ts' },
});
