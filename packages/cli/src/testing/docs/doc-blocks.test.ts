import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocBlocks } from './doc-blocks';
import { rewritePorts } from './run-doc-block';
import { shellCommands } from './shell-commands';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'steerlm-doc-blocks-'));
  await mkdir(join(root, 'docs'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('the docs runner reads', () => {
  it('shell blocks: continuations, && chains, comments, quotes and a visible not-run reason per line', () => {
    const code = [
      'npm ci && npm run build   # [not run by the docs test: CI does it]',
      "curl -s http://127.0.0.1:8000/v1/x -H 'content-type: application/json' \\",
      `  -d '{"a":"b c # not a comment"}'`,
      '',
      '$ steerlm serve --api-key "$(openssl rand -hex 24)"   # a comment',
    ].join('\n');
    const commands = shellCommands(code, 10);
    expect(commands.map((command) => [command.line, command.words, command.notRun])).toEqual([
      [11, ['npm', 'ci'], 'CI does it'],
      [11, ['npm', 'run', 'build'], 'CI does it'],
      [12, ['curl', '-s', 'http://127.0.0.1:8000/v1/x', '-H', 'content-type: application/json', '-d', '{"a":"b c # not a comment"}'], undefined],
      [15, ['steerlm', 'serve', '--api-key', '$(openssl rand -hex 24)'], undefined],
    ]);
  });

  it('block markers: visible reasons, continuation, block and file directives', async () => {
    const text = [
      '<!-- docs-test: env A=1 -->',
      '',
      'Prose.',
      '',
      '*Not run by the docs test: needs a GPU.*',
      '',
      '```sh',
      'steerlm sft train --backend webgpu',
      '```',
      '<!-- docs-test: setup serve --model attribute-echo -->',
      '<!-- docs-check: continues the block above -->',
      '```ts',
      'console.log(1);',
      '```',
      '*Not type-checked: a sketch.*',
      '```ts',
      'x;',
      '```',
      '```',
      'plain',
      '```',
    ].join('\n');
    await writeFile(join(root, 'docs', 'a.md'), text);
    const blocks = await readDocBlocks(root, 'docs/a.md');
    expect(
      blocks.map(({ line, lang, code, notRun, notTypeChecked, continues, directives }) => ({
        line,
        lang,
        code,
        notRun,
        notTypeChecked,
        continues,
        directives,
      })),
    ).toEqual([
      {
        line: 7,
        lang: 'sh',
        code: 'steerlm sft train --backend webgpu',
        notRun: 'needs a GPU',
        notTypeChecked: false,
        continues: false,
        directives: ['env A=1'],
      },
      {
        line: 12,
        lang: 'ts',
        code: 'console.log(1);',
        notRun: undefined,
        notTypeChecked: false,
        continues: true,
        directives: ['env A=1', 'setup serve --model attribute-echo'],
      },
      { line: 16, lang: 'ts', code: 'x;', notRun: 'a sketch with placeholders (a sketch)', notTypeChecked: true, continues: false, directives: ['env A=1'] },
      { line: 19, lang: '', code: 'plain', notRun: undefined, notTypeChecked: false, continues: false, directives: ['env A=1'] },
    ]);
  });

  it('the documented port of a running server, mapped to where it listens', () => {
    const servers = new Map([[8000, 'http://127.0.0.1:41234']]);
    expect(rewritePorts("baseURL: 'http://localhost:8000/v1', other: 'http://localhost:80001'", servers)).toBe(
      "baseURL: 'http://127.0.0.1:41234/v1', other: 'http://localhost:80001'",
    );
  });
});
