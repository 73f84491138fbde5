#!/usr/bin/env node
// The `steerlm` command. This file is committed (not built), so npm links the bin when it installs the
// workspace, before any build: `npx steerlm` then works in a fresh clone right after `npm ci`. In the
// monorepo it builds the CLI first when its dist/ is missing; a published package always has dist/.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageFolder = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(packageFolder, 'dist', 'bin.js');
const repositoryRoot = join(packageFolder, '..', '..');

if (!existsSync(built) && existsSync(join(repositoryRoot, 'turbo.json'))) {
  process.stderr.write('steerlm: building the CLI first (npx turbo run build --filter=@steerlm/cli)…\n');
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--filter=@steerlm/cli', '--output-logs=errors-only'], {
    cwd: repositoryRoot,
    stdio: ['ignore', 2, 2],
  });
  if (build.status !== 0) {
    process.stderr.write('steerlm: the build failed; run "npm run build" in the repository and try again\n');
    process.exit(1);
  }
}
if (!existsSync(built)) {
  process.stderr.write(`steerlm: ${built} is missing; this install of @steerlm/cli is incomplete (reinstall it)\n`);
  process.exit(1);
}
await import(pathToFileURL(built).href);
