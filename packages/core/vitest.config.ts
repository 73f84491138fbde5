import { defineConfig } from 'vitest/config';
import { sharedTestOptions, steerlmAliases } from '../../vitest.shared';

export default defineConfig({
  resolve: { alias: steerlmAliases },
  // Core's tests import its modules directly and run in Node: read file paths as the Node entries do.
  test: { ...sharedTestOptions, include: ['src/**/*.test.ts'], setupFiles: ['src/node/install-file-reader.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
