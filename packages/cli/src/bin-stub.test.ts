/**
 * The `steerlm` bin is a committed file, not a build output, so npm links it when the workspace is
 * installed before any build (`npx steerlm` works in a fresh clone right after `npm ci`).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VERSION } from './version';

const packageFolder = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

describe('the steerlm bin', () => {
  it('is a committed file outside dist/, shipped in the package, that runs the built CLI', async () => {
    const manifest = JSON.parse(await readFile(join(packageFolder, 'package.json'), 'utf8')) as { bin: { steerlm: string }; files: string[] };
    expect(manifest.bin.steerlm).toBe('./bin/steerlm.js');
    expect(manifest.files).toContain('bin');
    const { stdout } = await run(process.execPath, [join(packageFolder, 'bin', 'steerlm.js'), '--version']);
    expect(stdout.trim()).toBe(VERSION);
  });

  it('says the install is incomplete when dist/ is missing outside the monorepo', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'steerlm-bin-'));
    try {
      await mkdir(join(folder, 'cli', 'bin'), { recursive: true });
      await copyFile(join(packageFolder, 'bin', 'steerlm.js'), join(folder, 'cli', 'bin', 'steerlm.js'));
      const failure = await run(process.execPath, [join(folder, 'cli', 'bin', 'steerlm.js'), '--version']).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toMatch(/dist\/bin\.js is missing; this install of @steerlm\/cli is incomplete/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
