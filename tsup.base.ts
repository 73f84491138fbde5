import type { Options } from 'tsup';

/** The build every @steerlm package shares: ESM + .d.ts from src/index.ts, ES2022, source maps. */
export const packageBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
};
