import { defineConfig } from 'vitest/config';
import { sharedTestOptions, steerlmAliases } from '../../vitest.shared';

export default defineConfig({
  resolve: { alias: steerlmAliases },
  // The tests import modules directly and run in Node: save, load and annotate files as the Node entries do.
  test: { ...sharedTestOptions, include: ['src/**/*.test.ts'], setupFiles: ['src/node/install-node-support.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
