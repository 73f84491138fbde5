/**
 * `--model org/name[@revision]`: commands fetch Hub models through the mock Hub (HF_ENDPOINT) into the
 * cache (HF_HUB_CACHE), with progress on stderr, and get what loading the folder gives.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMockHub, type MockHub } from '@steerlm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommandInProcess } from '../testing/run-command-in-process';
import { writeTinyNemoFile } from '../testing/tiny-dataset';
import { tinySftTrainArgs } from '../testing/tiny-sft-args';

const ENV = ['HF_ENDPOINT', 'HF_HUB_CACHE', 'HF_HOME', 'HF_TOKEN', 'HF_HUB_OFFLINE'] as const;
let saved: Record<string, string | undefined>;
let folder: string;
let data: string;
let final: string;
let hub: MockHub;
let commit: string;

const generateArgs = (model: string, ...extra: string[]) => [
  'generate',
  '--model',
  model,
  '--backend',
  'cpu',
  'Tell me a joke.',
  '--attr',
  'humor=4',
  '--max-tokens',
  '8',
  '--temperature',
  '0',
  ...extra,
];

beforeAll(async () => {
  saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
  folder = await mkdtemp(join(tmpdir(), 'steerlm-cli-hub-'));
  data = await writeTinyNemoFile(join(folder, 'train.jsonl'), 8);
  const trained = await runCommandInProcess([...tinySftTrainArgs(data, join(folder, 'run'), '--batch-size 4 --backend cpu --max-steps 1'), '--json']);
  expect(trained.code).toBe(0);
  final = (JSON.parse(trained.stdout) as { final: string }).final;
  hub = await startMockHub();
  commit = await hub.addRepo('org/tiny', final);
  process.env.HF_ENDPOINT = hub.url;
  process.env.HF_HUB_CACHE = join(folder, 'hf-cache');
  delete process.env.HF_TOKEN;
  delete process.env.HF_HUB_OFFLINE;
});
afterAll(async () => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await hub?.close();
  await rm(folder, { recursive: true, force: true });
});

describe('--model with a Hugging Face Hub id', () => {
  it('generate --model org/tiny downloads with progress and answers as the folder does', async () => {
    const local = await runCommandInProcess(generateArgs(final, '--json'));
    expect(local.code).toBe(0);
    const fromHub = await runCommandInProcess(generateArgs('org/tiny'));
    expect(fromHub.code).toBe(0);
    expect(fromHub.stdout).toBe(`${(JSON.parse(local.stdout) as { text: string }).text}\n`);
    // The progress of the download, then the model named by its Hub id and the schema from its steerlm.json.
    expect(fromHub.stderr).toMatch(/download org\/tiny: started \(\d[\d,.]* bytes\)/);
    expect(fromHub.stderr).toMatch(/download org\/tiny: done in/);
    expect(fromHub.stderr).toContain('model org/tiny · backend cpu');
    expect(fromHub.stderr).toContain(`schema oasst (from ${join(process.env.HF_HUB_CACHE!, 'models--org--tiny', 'snapshots', commit, 'steerlm.json')})`);
    // Only what loading needs: not run.json or the other files of the folder.
    const fetched = hub.requests.filter((request) => request.path.includes('/resolve/')).map((request) => request.path.split('/').at(-1));
    expect(fetched.sort()).toEqual(['config.json', 'model.safetensors', 'steerlm.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(hub.requests.map((request) => request.path)).toContain('/api/models/org/tiny/revision/main');

    // Pinned to the commit and offline: from the cache, without a request.
    hub.clearRequests();
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const offline = await runCommandInProcess(generateArgs(`org/tiny@${commit}`));
      expect(offline.code).toBe(0);
      expect(offline.stdout).toBe(fromHub.stdout);
      expect(offline.stderr).not.toContain('download org/tiny');
      expect(hub.requests).toEqual([]);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });

  it('sft train starts from a Hub model', async () => {
    const run = await runCommandInProcess([
      'sft',
      'train',
      '--data',
      data,
      '--model',
      'org/tiny',
      '--output',
      join(folder, 'from-hub'),
      '--schema',
      'oasst',
      '--batch-size',
      '4',
      '--max-steps',
      '1',
      '--backend',
      'cpu',
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ steps: 1, final: join(folder, 'from-hub', 'final') });
  });

  it('export --model org/tiny writes the model with the tokenizer of the snapshot', async () => {
    const output = join(folder, 'exported');
    const run = await runCommandInProcess(['export', '--model', 'org/tiny', '--output', output, '--format', 'hf', '--backend', 'cpu', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ files: expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']) });
  });

  it('says what is wrong with an id the Hub does not have, or a revision it lacks', async () => {
    const missing = await runCommandInProcess(generateArgs('org/missing'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      '"org/missing" is no local path, and as a Hugging Face Hub id: org/missing is private or does not exist, and no token was sent',
    );
    expect(missing.stderr).toContain('set HF_TOKEN to a token with read access');
    const revision = await runCommandInProcess(generateArgs('org/tiny@v2'));
    expect(revision.code).not.toBe(0);
    expect(revision.stderr).toContain('org/tiny has no revision "v2"');
  });
});
