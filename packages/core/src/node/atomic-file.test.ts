import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAll, writeFileAtomically, writeTextFileAtomically } from './atomic-file';

const folder = await mkdtemp(join(tmpdir(), 'steerlm-atomic-'));
afterAll(() => rm(folder, { recursive: true, force: true }));

describe('writeFileAtomically', () => {
  it('replaces the file only when the write succeeds, leaving no temporary file either way', async () => {
    const path = join(folder, 'config.json');
    await writeTextFileAtomically(path, '{"version":1}\n');
    await expect(
      writeFileAtomically(path, async (handle) => {
        await writeAll(handle, new TextEncoder().encode('{"version":'));
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(await readFile(path, 'utf8')).toBe('{"version":1}\n');
    expect(await readdir(folder)).toEqual(['config.json']);
    expect(await writeFileAtomically(path, async (handle) => (await writeAll(handle, new TextEncoder().encode('{"version":2}\n')), 'done'))).toBe('done');
    expect(await readFile(path, 'utf8')).toBe('{"version":2}\n');
    expect(await readdir(folder)).toEqual(['config.json']);
  });

  it('removes its temporary file when the rename fails', async () => {
    // A file cannot be renamed over a folder that holds something.
    const target = join(folder, 'a-folder');
    await mkdir(join(target, 'inside'), { recursive: true });
    await expect(writeTextFileAtomically(target, 'text')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    expect((await readdir(folder)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
