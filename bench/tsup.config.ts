import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/*.ts', '!src/**/*.test.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
