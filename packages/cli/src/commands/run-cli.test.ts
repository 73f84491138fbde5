import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommandInProcess } from '../testing/run-command-in-process';

describe('steerlm command line', () => {
  it('lists the commands, and a bare call is a usage error', async () => {
    const help = await runCommandInProcess(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['demo', 'generate', 'serve']) expect(help.stdout).toContain(`  ${name}`);
    const bare = await runCommandInProcess([]);
    expect(bare.code).toBe(2);
    const unknown = await runCommandInProcess(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(unknown.stderr).not.toContain('did you mean');
  });

  it('suggests the nearest command for a typo', async () => {
    const sub = await runCommandInProcess(['apm', 'trian']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('"apm" has no subcommand "trian"');
    expect(sub.stderr).toContain('did you mean "steerlm apm train"?');
    const top = await runCommandInProcess(['bootstap', '--help']);
    expect(top.stderr).toContain('did you mean "steerlm bootstrap"?');
    const bare = await runCommandInProcess(['apm']);
    expect(bare.stderr).toMatch(/"apm" needs a subcommand: .*"apm train"/);
  });

  it('prints per-command help with options, defaults and global options', async () => {
    const run = await runCommandInProcess(['generate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: steerlm generate <prompt> [options]');
    expect(run.stdout).toMatch(/--max-tokens INTEGER\s+the most new tokens \(default 256\)/);
    expect(run.stdout).toContain('--config FILE');
    expect(run.stdout).toContain('--json');
  });

  it('refuses unknown options, bad values and missing arguments with exit 2 and a fix', async () => {
    const unknown = await runCommandInProcess(['generate', '--model', 'attribute-echo', 'Hi', '--bogus']);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    expect(unknown.stderr).toContain('run "steerlm generate --help"');
    const badNumber = await runCommandInProcess(['generate', '--model', 'attribute-echo', 'Hi', '--max-tokens', 'lots']);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain('--max-tokens must be an integer, got "lots"');
    const missing = await runCommandInProcess(['generate', 'Hi']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('"generate" needs --model');
    const noPrompt = await runCommandInProcess(['generate', '--model', 'attribute-echo']);
    expect(noPrompt.code).toBe(2);
    expect(noPrompt.stderr).toContain('needs <prompt>');
    const badAttribute = await runCommandInProcess(['generate', '--model', 'attribute-echo', 'Hi', '--attr', 'humor=7']);
    expect(badAttribute.code).toBe(2);
    expect(badAttribute.stderr).toContain('attribute "humor" is 7, outside 0..4');
    const noFolder = await runCommandInProcess(['generate', '--model', '/nonexistent/model', 'Hi', '--json']);
    expect(noFolder.code).toBe(2);
    expect(JSON.parse(noFolder.stdout)).toMatchObject({ error: { code: 'steerlm.invalid-option' } });
  });

  it('merges --config options under flags and checks their types', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'steerlm-cli-'));
    const config = join(folder, 'generate.json');
    await writeFile(config, JSON.stringify({ model: 'attribute-echo', attr: 'humor=1', maxTokens: 4 }));
    const run = await runCommandInProcess(['generate', 'Hi', '--config', config, '--attr', 'humor=2', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { text: string; attributes: Record<string, number> };
    expect(result.attributes.humor).toBe(2);
    expect(result.text).toBe('Steered to quality four, ');
    await writeFile(config, JSON.stringify({ model: 'attribute-echo', 'max-tokens': 'four' }));
    const bad = await runCommandInProcess(['generate', 'Hi', '--config', config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`config file ${config}: --max-tokens must be an integer`);
    await writeFile(config, JSON.stringify({ modle: 'attribute-echo' }));
    const typo = await runCommandInProcess(['generate', 'Hi', '--config', config]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown option "modle" in the config file');
  });

  it('refuses bad demo options with a usage error before doing any work', async () => {
    const run = await runCommandInProcess(['demo', '--size', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--size');
  });
});
