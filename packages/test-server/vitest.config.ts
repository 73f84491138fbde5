import { defineConfig } from 'vitest/config';
import { steerlmAliases } from '../../vitest.shared';

export default defineConfig({
  resolve: { alias: steerlmAliases },
  test: { include: ['src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
