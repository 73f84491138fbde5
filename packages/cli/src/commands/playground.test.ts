import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommandInProcess } from '../testing/run-command-in-process';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-playground-command-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('steerlm playground', () => {
  it('--out writes the static playground: the in-page page, its bundle and the onnxruntime-web runtime', async () => {
    const out = join(folder, 'site');
    const run = await runCommandInProcess(['playground', '--out', out, '--json']);
    expect(run.code).toBe(0);
    const expected = ['index.html', 'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm', 'playground.js', 'playground.js.LEGAL.txt'];
    expect(JSON.parse(run.stdout)).toEqual({
      out,
      files: ['index.html', 'playground.js', 'playground.js.LEGAL.txt', 'ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'],
    });
    expect((await readdir(out)).sort()).toEqual(expected);
  }, 60_000);

  it('refuses an --out that is a file', async () => {
    const file = join(folder, 'a-file');
    await writeFile(file, 'x');
    const run = await runCommandInProcess(['playground', '--out', file]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('exists and is not a folder');
  });

  it('serves the page with cross-origin isolation until its signal aborts', async () => {
    const controller = new AbortController();
    let url: string | undefined;
    const running = runCommandInProcess(['playground', '--port', '0', '--json'], {
      signal: controller.signal,
      onStdout: (chunk) => (url ??= (JSON.parse(chunk) as { url: string }).url),
    });
    while (url === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(await page.text()).toContain('<script type="module" src="./playground.js"></script>');
    expect((await fetch(`${url}playground.js`)).headers.get('content-type')).toMatch(/javascript/);
    controller.abort();
    const run = await running;
    expect(run.code).toBe(0);
  }, 60_000);
});
