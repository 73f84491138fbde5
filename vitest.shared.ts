import { fileURLToPath } from 'node:url';

const packages = ['core', 'attribute-regressor', 'sft', 'bootstrap', 'evaluators', 'cli', 'test-server'];

const source = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/** The subpath exports (package.json "exports", tsup entries) and their source files. */
const subpaths: [subpath: string, file: string][] = [
  ['sft/kernels', 'sft/src/kernels/index.ts'],
  ['sft/io', 'sft/src/io/index.ts'],
  ['sft/trainer', 'sft/src/trainer/index.ts'],
];

/**
 * Resolve every @steerlm/* import to its TypeScript source, so tests need no prior build. Exact
 * matches: `@steerlm/sft/kernels` is its own entry, not a path below `@steerlm/sft`.
 */
export const steerlmAliases: { find: RegExp; replacement: string }[] = [
  ...subpaths.map(([subpath, file]) => ({ find: new RegExp(`^@steerlm/${subpath}$`), replacement: source(file) })),
  ...packages.map((name) => ({ find: new RegExp(`^@steerlm/${name}$`), replacement: source(`${name}/src/index.ts`) })),
];
