import { fileURLToPath } from 'node:url';

const packages = ['core', 'attribute-regressor', 'sft', 'bootstrap', 'evaluators', 'cli', 'test-server'];

const source = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/** The subpath exports other than core's (package.json "exports", tsup entries) and their source files. */
const subpaths: [subpath: string, file: string][] = [
  ['sft/kernels', 'sft/src/kernels/index.ts'],
  ['sft/io', 'sft/src/io/index.ts'],
  ['sft/trainer', 'sft/src/trainer/index.ts'],
];

/**
 * Resolve every @steerlm/* import to its TypeScript source, so tests need no prior build. Tests run in
 * Node, so `@steerlm/core` is its Node entry (file paths readable), as the `node` export condition gives.
 * Exact matches: `@steerlm/core/node` and `@steerlm/sft/kernels` are their own entries, not paths below
 * `@steerlm/core` and `@steerlm/sft`.
 */
export const steerlmAliases: { find: RegExp; replacement: string }[] = [
  { find: /^@steerlm\/core\/node$/, replacement: source('core/src/node.ts') },
  { find: /^@steerlm\/core$/, replacement: source('core/src/index.node.ts') },
  ...subpaths.map(([subpath, file]) => ({ find: new RegExp(`^@steerlm/${subpath}$`), replacement: source(file) })),
  ...packages.filter((name) => name !== 'core').map((name) => ({ find: new RegExp(`^@steerlm/${name}$`), replacement: source(`${name}/src/index.ts`) })),
];
