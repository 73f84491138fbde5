import { fileURLToPath } from 'node:url';

const packages = ['core', 'attribute-regressor', 'sft', 'bootstrap', 'evaluators', 'cli', 'test-server'];

/** Resolve every @steerlm/* import to its TypeScript source, so tests need no prior build. */
export const steerlmAliases: Record<string, string> = Object.fromEntries(
  packages.map((name) => [`@steerlm/${name}`, fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))]),
);
