import { defineConfig } from 'vitest/config';

// Examples are tested against the built packages, exactly as a user imports them.
export default defineConfig({
  test: { include: ['**/*.test.ts'], exclude: ['node_modules/**'], testTimeout: 300_000, hookTimeout: 300_000 },
});
