import { defineConfig } from 'vitest/config';
import { sharedTestOptions, steerlmAliases } from '../../vitest.shared';

export default defineConfig({
  resolve: { alias: steerlmAliases },
  test: { ...sharedTestOptions, include: ['src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
