import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../cli/parse-command-line';
import { COMMANDS } from './command-list';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** Returns the words of a shell command line: quotes group, `$(…)` stays one word, `#` starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (char === '#' && !inWord) break;
    if (char === ' ' || char === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (char === '"' || char === "'") {
      const end = line.indexOf(char, index + 1);
      word += line.slice(index + 1, end);
      index = end;
    } else if (char === '$' && line[index + 1] === '(') {
      const end = line.indexOf(')', index);
      word += line.slice(index, end + 1);
      index = end;
    } else word += char;
  }
  if (inWord) words.push(word);
  return words;
}

/** Returns every `steerlm …` command of the shell blocks of README.md and docs/*.md, with where it is. */
async function documentedCommands(): Promise<{ where: string; argv: string[] }[]> {
  const files = ['README.md', ...(await readdir(join(root, 'docs'))).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)];
  const found: { where: string; argv: string[] }[] = [];
  for (const file of files) {
    const lines = (await readFile(join(root, file), 'utf8')).split('\n');
    let inShell = false;
    for (const [index, line] of lines.entries()) {
      if (/^```(sh|bash|shell)$/.test(line.trim())) inShell = true;
      else if (line.trim() === '```') inShell = false;
      else if (inShell && /^\s*(\$ )?steerlm /.test(line))
        found.push({ where: `${file}:${index + 1}`, argv: shellWords(line.replace(/^\s*(\$ )?steerlm /, '')) });
    }
  }
  return found;
}

describe('the steerlm commands of the docs', () => {
  it('name real commands and options, with values of the right kind', async () => {
    const commands = await documentedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(15);
    const problems: string[] = [];
    for (const { where, argv } of commands) {
      if (argv[0] === '--help' || argv[0] === '--version') continue;
      const two = argv.slice(0, 2).join(' ');
      const command = COMMANDS.find((candidate) => candidate.name === two) ?? COMMANDS.find((candidate) => candidate.name === argv[0]);
      if (!command) {
        problems.push(`${where}: no command "${two}"`);
        continue;
      }
      const rest = argv.slice(command.name.split(' ').length);
      try {
        await parseCommandLine(command.options, rest, command.name);
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
