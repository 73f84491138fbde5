import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../cli/parse-command-line';
import { documentationFiles, readDocBlocks } from '../testing/docs/doc-blocks';
import { shellCommands } from '../testing/docs/shell-commands';
import { COMMANDS } from './command-list';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** Returns every `steerlm …` command of the shell blocks of README.md and docs/*.md (run or not), with where it is. */
async function documentedCommands(): Promise<{ where: string; argv: string[] }[]> {
  const found: { where: string; argv: string[] }[] = [];
  for (const file of await documentationFiles(root)) {
    for (const block of await readDocBlocks(root, file)) {
      if (!['sh', 'bash', 'shell'].includes(block.lang)) continue;
      for (const command of shellCommands(block.code, block.line))
        if (command.words[0] === 'steerlm') found.push({ where: `${file}:${command.line}`, argv: command.words.slice(1) });
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
