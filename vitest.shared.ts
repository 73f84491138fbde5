import { fileURLToPath } from 'node:url';

const packages = ['core', 'attribute-regressor', 'sft', 'bootstrap', 'evaluators', 'cli', 'test-server'];

const source = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/**
 * Resolve every @steerlm/* import to its TypeScript source, so tests need no prior build. Tests run in
 * Node, so `@steerlm/core` is its Node entry (file paths readable), as the `node` export condition gives.
 * Exact matches: `@steerlm/core/node` is its own entry, not a path below `@steerlm/core`.
 */
export const steerlmAliases: { find: RegExp; replacement: string }[] = [
  { find: /^@steerlm\/core\/node$/, replacement: source('core/src/node.ts') },
  { find: /^@steerlm\/core$/, replacement: source('core/src/index.node.ts') },
  ...packages.filter((name) => name !== 'core').map((name) => ({ find: new RegExp(`^@steerlm/${name}$`), replacement: source(`${name}/src/index.ts`) })),
];
