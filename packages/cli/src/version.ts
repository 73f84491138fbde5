import { createRequire } from 'node:module';

/** The version of @steerlm/cli (read from its package.json, from both src/ and dist/). */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
