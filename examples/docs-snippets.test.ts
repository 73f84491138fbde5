import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Every TypeScript block of README.md and docs/*.md is type-checked against the built packages, as a user
// would paste it. A block that cannot stand alone says so in a visible line just above its fence
// (`*Not type-checked: reason.*`); `<!-- docs-check: continues the block above -->` joins a block to the
// one before it.
const root = fileURLToPath(new URL('..', import.meta.url));
const SKIP = /^\*Not type-checked: (.+)\*$/;
const CONTINUES = '<!-- docs-check: continues the block above -->';

interface Snippet {
  readonly name: string;
  readonly code: string;
  readonly skipped?: string;
}

async function docSnippets(): Promise<Snippet[]> {
  const files = [
    'README.md',
    ...(await readdir(join(root, 'docs')))
      .filter((file) => file.endsWith('.md'))
      .sort()
      .map((file) => `docs/${file}`),
  ];
  const snippets: Snippet[] = [];
  for (const file of files) {
    const lines = (await readFile(join(root, file), 'utf8')).split('\n');
    let previous: string | undefined;
    for (let index = 0; index < lines.length; index++) {
      if (lines[index] !== '```ts') continue;
      const end = lines.indexOf('```', index + 1);
      const body = lines.slice(index + 1, end).join('\n');
      let before = index - 1;
      while (before >= 0 && lines[before]!.trim() === '') before -= 1;
      const marker = lines[before]?.trim() ?? '';
      const name = `${file}:${index + 1}`;
      const skip = SKIP.exec(marker);
      if (skip) snippets.push({ name, code: body, skipped: skip[1]! });
      else snippets.push({ name, code: marker === CONTINUES && previous !== undefined ? `${previous}\n${body}` : body });
      previous = body;
      index = end;
    }
  }
  return snippets;
}

describe('the TypeScript blocks of the docs', () => {
  it('type-check as written, or say in a visible line why not', async () => {
    const snippets = await docSnippets();
    const checked = snippets.filter((snippet) => snippet.skipped === undefined);
    expect(checked.length).toBeGreaterThanOrEqual(12);
    for (const snippet of snippets) if (snippet.skipped !== undefined) expect(snippet.skipped.trim().length, snippet.name).toBeGreaterThan(10);
    const folder = join(root, 'examples', '.docs-snippets');
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    try {
      const names = new Map<string, string>();
      for (const [index, snippet] of checked.entries()) {
        const file = `snippet-${index}.ts`;
        names.set(file, snippet.name);
        await writeFile(join(folder, file), `${snippet.code}\nexport {};\n`);
      }
      await writeFile(
        join(folder, 'tsconfig.json'),
        JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['*.ts'] }),
      );
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      const output = await promisify(execFile)(process.execPath, [tsc, '-p', folder], { cwd: root }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      // Name each error by the doc and line of its block, not the generated file.
      const errors = output.replace(/(?:examples\/)?\.docs-snippets\/(snippet-\d+\.ts)/g, (_, file: string) => `${names.get(file)} (block)`);
      expect(errors).toBe('');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
