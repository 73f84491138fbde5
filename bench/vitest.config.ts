import { defineConfig } from 'vitest/config';
import { sharedTestOptions, steerlmAliases } from '../vitest.shared';

// Unit tests of the benchmarks' pure helpers only; the benchmarks themselves never run in tests.
export default defineConfig({
  resolve: { alias: steerlmAliases },
  test: { ...sharedTestOptions, include: ['src/**/*.test.ts'] },
});
