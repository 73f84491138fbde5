import { defineConfig } from 'vitest/config';
import { sharedTestOptions } from '../vitest.shared';

// Examples are tested against the built packages, exactly as a user imports them.
export default defineConfig({
  test: { ...sharedTestOptions, include: ['**/*.test.ts'], exclude: ['node_modules/**'], testTimeout: 300_000, hookTimeout: 300_000 },
});
