import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The library entry, the `steerlm` executable and the demo's training worker (declarations for the library only).
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/bin.ts', 'src/demo/demo-training-worker.ts'], dts: { entry: 'src/index.ts' } });
