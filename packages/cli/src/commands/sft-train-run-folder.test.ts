import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyNemoFile } from '../testing/tiny-dataset';
import { runCommandInProcess } from '../testing/run-command-in-process';
import { tinySftTrainArgs } from '../testing/tiny-sft-args';

const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
let folder: string;
let data: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-run-folder-cli-'));
  await chmod(folder, 0o755);
  data = await writeTinyNemoFile(join(folder, 'train.jsonl'), 12);
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

const trainArgs = (output: string) => tinySftTrainArgs(data, output, '--batch-size 4 --backend cpu --epochs 200');

async function metricSteps(output: string): Promise<number[]> {
  const text = await readFile(join(output, 'metrics.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { step: number; loss?: number })
    .filter((row) => row.loss !== undefined)
    .map((row) => row.step);
}

let childPid: number | undefined;

/** Runs the CLI in a child process; `onStderr` may send it a signal. */
function runChild(argv: string[], options: { onStderr?: (text: string, child: ReturnType<typeof spawn>) => void; uid?: number } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', bin, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, child);
    });
    childPid = child.pid;
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('steerlm sft train run folders', () => {
  it('refuses a folder holding another run; --overwrite replaces it; --resume names its step', async () => {
    const output = join(folder, 'run');
    expect((await runCommandInProcess([...trainArgs(output), '--max-steps', '3', '--checkpoint-every', '2'])).code).toBe(0);
    const again = await runCommandInProcess([...trainArgs(output), '--max-steps', '1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/run: this output folder holds another run \(base, checkpoint-00000002, checkpoint-00000003, final, …\)/);
    expect(again.stderr).toContain('--resume');
    expect(await metricSteps(output)).toEqual([1, 2, 3]);
    expect((await runCommandInProcess([...trainArgs(output), '--max-steps', '1', '--resume', '--overwrite'])).code).toBe(2);

    const resumed = await runCommandInProcess([...trainArgs(output), '--max-steps', '4', '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ steps: 4, completed: true, interrupted: false, resumedFrom: { step: 3 } });
    const done = await runCommandInProcess([...trainArgs(output), '--max-steps', '4', '--resume']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('already complete at step 4 of 4: nothing left to train');
    expect(done.stdout).not.toMatch(/NaN/);
    const note = await runCommandInProcess([...trainArgs(output), '--max-steps', '5', '--resume']);
    expect(note.stderr).toMatch(/resuming from .*checkpoint-00000004 \(step 4\)/);

    const replaced = await runCommandInProcess([...trainArgs(output), '--max-steps', '1', '--overwrite', '--json']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(await metricSteps(output)).toEqual([1]);
    expect(JSON.parse(await readFile(join(output, 'final', 'run.json'), 'utf8'))).toMatchObject({
      status: 'completed',
      completed: true,
      steps: 1,
      totalSteps: 1,
    });
  }, 120_000);

  it('a resume before the first checkpoint says so', async () => {
    const output = join(folder, 'early');
    await mkdir(join(output, 'base'), { recursive: true });
    const first = await runCommandInProcess([...trainArgs(output), '--max-steps', '1', '--overwrite']);
    expect(first.code).toBe(0);
    await rm(join(output, 'checkpoint-00000001'), { recursive: true });
    const run = await runCommandInProcess([...trainArgs(output), '--max-steps', '2', '--resume']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/nothing to resume here: the run stopped before its first checkpoint was written/);
    expect(run.stderr).not.toContain('ENOENT');
  }, 120_000);

  it('SIGTERM during training exits 130; final/ and the JSON result say the run did not complete', async () => {
    const output = join(folder, 'sigterm');
    let sent = false;
    const running = runChild([...trainArgs(output), '--max-steps', '400', '--checkpoint-every', '1000', '--json']);
    // Send SIGTERM once a few steps are in metrics.jsonl.
    while (!sent) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const steps = await metricSteps(output).catch(() => []);
      if (steps.length >= 3) {
        sent = true;
        process.kill(childPid!, 'SIGTERM');
      }
    }
    const run = await running;
    expect(run.code, run.stderr).toBe(130);
    const result = JSON.parse(run.stdout) as { steps: number; totalSteps: number; completed: boolean; interrupted: boolean };
    expect(result).toMatchObject({ completed: false, interrupted: true, totalSteps: 400 });
    expect(result.steps).toBeGreaterThanOrEqual(3);
    expect(result.steps).toBeLessThan(400);
    expect(JSON.parse(await readFile(join(output, 'final', 'run.json'), 'utf8'))).toMatchObject({
      status: 'interrupted',
      completed: false,
      steps: result.steps,
    });
    expect(JSON.parse(await readFile(join(output, 'run.json'), 'utf8'))).toMatchObject({ status: 'interrupted', steps: result.steps });
    expect(run.stderr).toContain('interrupted');
  }, 120_000);

  it('the first SIGTERM stops the command even when it arrives while the event loop is blocked', async () => {
    const output = join(folder, 'blocked');
    // Long records make the tokenizer training and the tokenization block the loop for a while.
    const big = await writeTinyNemoFile(join(folder, 'big.jsonl'), 3000);
    const started = performance.now();
    let signalled = false;
    const run = await runChild(
      [
        'sft',
        'train',
        '--data',
        big,
        '--init',
        'tiny',
        '--vocab-size',
        '2000',
        '--output',
        output,
        '--batch-size',
        '4',
        '--backend',
        'cpu',
        '--schema',
        'oasst',
        '--max-steps',
        '200',
      ],
      {
        onStderr: (text, child) => {
          if (text.includes('data 3000 records') && !signalled) {
            signalled = true;
            child.kill('SIGTERM');
          }
        },
      },
    );
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('interrupted');
    expect(run.stderr).not.toMatch(/^step /m); // no training step ran after the signal
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it('an output folder that cannot be written is a clear located error, not a bug report', async () => {
    const locked = join(folder, 'locked');
    await mkdir(locked, { mode: 0o755 });
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) await chmod(locked, 0o555);
    // As root permissions do not apply: run the command as "nobody" instead.
    const run = await runChild([...trainArgs(join(locked, 'run')), '--max-steps', '1'], asRoot ? { uid: 65534 } : {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/locked\/run: cannot write to this folder: permission denied \(EACCES\)/);
    expect(run.stderr).toContain('--output');
    expect(run.stderr).not.toContain('this is a bug');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
