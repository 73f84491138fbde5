import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The library entry plus the `steerlm` executable (declarations for the library only).
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/bin.ts'], dts: { entry: 'src/index.ts' } });
