import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEERLM } from '@steerlm/core';
import { writeSteeringSettings } from '../models';
import { writeTinyNemoFile } from '../testing/tiny-dataset';
import { runCommandInProcess } from '../testing/run-command-in-process';

let folder: string;
let data: string;
let predictor: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-pipeline-cli-'));
  data = await writeTinyNemoFile(join(folder, 'labelled.jsonl'), 24);
  predictor = join(folder, 'apm');
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

describe('steerlm apm, bootstrap and eval on tiny data', () => {
  it('apm train saves a predictor and reports what it chose', async () => {
    const run = await runCommandInProcess(['apm', 'train', '--data', data, '--output', predictor, '--schema', 'oasst', '--featurizer', 'text-statistics']);
    // The tiny file's 24 records hold 6 distinct responses (each written 4 times): each counts once.
    expect(run.stderr).toContain('data 6 labelled responses (18 repeats of a response counted once; --repeats all counts every occurrence)');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rows\s+train\s+validation/);
    expect(run.stdout).toContain(`predictor: ${predictor}`);
  });

  it('apm train warns, per attribute, when its bins do not beat the training median on validation, and when its loss does not beat the mean', async () => {
    // Labels drawn independently of the text (toxicity mostly 0): nothing to learn, so every bin is the median.
    let state = 7;
    const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
    const records = Array.from({ length: 160 }, (_, index) => {
      const response = Array.from({ length: 3 + Math.floor(random() * 30) }, () => words[Math.floor(random() * words.length)]).join(' ');
      const bin = () => Math.floor(random() * 5);
      return {
        system: 'A chat.',
        mask: 'User',
        type: 'VALUE_TO_TEXT',
        tree_id: `tree-${index % 80}`,
        conversations: [
          { from: 'User', value: `Question ${index % 80}?`, label: null },
          { from: 'Assistant', value: response, label: `quality:${bin()},toxicity:${random() < 0.7 ? 0 : bin()},humor:${bin()},creativity:${bin()}` },
        ],
      };
    });
    const noise = join(folder, 'noise.jsonl');
    await writeFile(noise, records.map((record) => JSON.stringify(record)).join('\n') + '\n');
    const run = await runCommandInProcess([
      'apm',
      'train',
      '--data',
      noise,
      '--output',
      join(folder, 'apm-noise'),
      '--schema',
      'oasst',
      '--featurizer',
      'text-statistics',
    ]);
    expect(run.code, run.stderr).toBe(0);
    // --calibrate-bins auto (the default) bins toxicity at the median, where the rounded mean loses to it.
    expect(run.stderr).toMatch(/warning: on .*toxicity \(validation MAE [\d.]+, constant [\d.]+\).* the model does not beat predicting the training median/);
    expect(run.stdout).toMatch(/attribute\s+validation mae\s+mae constant\s+mae uncalibrated\s+calibrated\s+slope/);
    // The head's validation loss does not beat the training mean's either (the constant's loss is printed beside it).
    expect(run.stderr).toMatch(/warning: validation loss [\d.]+ does not beat predicting the training mean \([\d.]+ on the same rows\)/);
    expect(run.stdout).toMatch(/validation loss\s+loss constant/);
    // Without calibration the loss warning stands alone.
    const off = await runCommandInProcess([
      'apm',
      'train',
      '--data',
      noise,
      '--output',
      join(folder, 'apm-noise-off'),
      '--schema',
      'oasst',
      '--featurizer',
      'text-statistics',
      '--calibrate-bins',
      'off',
    ]);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toMatch(/warning: validation loss [\d.]+ does not beat predicting the training mean/);
    expect(off.stderr).not.toMatch(/warning: on /);
    expect(off.stdout).not.toMatch(/mae uncalibrated/);
    // The tiny file's humor is told apart by the text: no warning names it.
    const learnable = await runCommandInProcess([
      'apm',
      'train',
      '--data',
      data,
      '--output',
      join(folder, 'apm-learnable'),
      '--schema',
      'oasst',
      '--featurizer',
      'text-statistics',
      '--calibrate-bins',
      'all',
    ]);
    expect(learnable.code, learnable.stderr).toBe(0);
    expect(learnable.stderr).not.toMatch(/warning: on .*humor/);
    expect(learnable.stderr).not.toMatch(/warning: validation loss/);
  });

  it('apm eval prints MAE and exact-bin accuracy per attribute', async () => {
    const run = await runCommandInProcess(['apm', 'eval', '--model', predictor, '--data', data, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { responses: number; repeats: number; attributes: { attribute: string; mae: number; 'exact bin': number }[] };
    expect(result.responses).toBe(6);
    expect(result.repeats).toBe(18);
    const every = JSON.parse((await runCommandInProcess(['apm', 'eval', '--model', predictor, '--data', data, '--json', '--repeats', 'all'])).stdout) as {
      responses: number;
      repeats: number;
    };
    expect(every).toMatchObject({ responses: 24, repeats: 0 });
    expect(result.attributes.map((row) => row.attribute)).toEqual(['quality', 'toxicity', 'humor', 'creativity']);
    // Funny answers are longer with exclamation marks: text statistics separate humor 0 from 4.
    expect(result.attributes.find((row) => row.attribute === 'humor')!.mae).toBeLessThan(2);
    // Baselines beside the model: humor labels are 0 or 4 in equal numbers (the median constant misses by 2),
    // and funny answers are longer, so the length line does far better.
    const humor = result.attributes.find((row) => row.attribute === 'humor') as unknown as { 'mae constant': number; 'mae length': number };
    expect(humor['mae constant']).toBeCloseTo(2, 10);
    expect(humor['mae length']).toBeLessThan(1);
  });

  it("apm eval scores the model against the training labels' median and length line, which apm train saves beside it", async () => {
    // Held out: only the funny answers (humor 4). The training median of humor is 2 (half 0, half 4), so the
    // training constant misses every held-out label by 2, while a constant fit on them (4) misses none.
    const funny = join(folder, 'funny.jsonl');
    const lines = (await readFile(data, 'utf8')).trim().split('\n');
    await writeFile(funny, lines.filter((_, index) => index % 2 === 1).join('\n') + '\n');
    const saved = JSON.parse(await readFile(join(predictor, 'training-baselines.json'), 'utf8')) as {
      attributes: Record<string, { median: number; rows: number }>;
    };
    expect(saved.attributes.humor).toMatchObject({ median: 2, rows: 6 });
    type Row = { attribute: string; 'mae constant': number; 'mae length': number; 'constant fit here': number; 'length fit here': number };
    const humorOf = (stdout: string) => {
      const result = JSON.parse(stdout) as { baselinesFitOn: string; attributes: Row[] };
      return { fitOn: result.baselinesFitOn, humor: result.attributes.find((row) => row.attribute === 'humor')! };
    };
    const run = await runCommandInProcess(['apm', 'eval', '--model', predictor, '--data', funny, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const fair = humorOf(run.stdout);
    expect(fair.fitOn).toBe('training labels');
    expect(fair.humor['mae constant']).toBeCloseTo(2, 10);
    expect(fair.humor['constant fit here']).toBeCloseTo(0, 10);
    expect(fair.humor['length fit here']).toBeCloseTo(0, 10);
    // The training line (funny answers are longer) still places the held-out answers near 4.
    expect(fair.humor['mae length']).toBeLessThan(1);
    const table = await runCommandInProcess(['apm', 'eval', '--model', predictor, '--data', funny]);
    expect(table.stdout).toMatch(/mae constant\s+mae length\s+constant fit here\s+length fit here/);
    expect(table.stderr).toContain('"mae constant" and "mae length" are the training labels\' median and length line');
    // Another predictor saved in the folder later (its config.json changed): the file is not used, and eval says so.
    const config = join(predictor, 'config.json');
    const original = await readFile(config, 'utf8');
    await writeFile(config, `${original}\n`);
    try {
      const stale = await runCommandInProcess(['apm', 'eval', '--model', predictor, '--data', funny, '--json']);
      expect(stale.code, stale.stderr).toBe(0);
      const why = /training-baselines\.json was written for another predictor .* train again with "steerlm apm train"/;
      expect((JSON.parse(stale.stdout) as { baselinesProblem: string }).baselinesProblem).toMatch(why);
      expect((await runCommandInProcess(['apm', 'eval', '--model', predictor, '--data', funny])).stderr).toMatch(why);
      const fallback = humorOf(stale.stdout);
      expect(fallback.fitOn).toBe('these labels');
      expect(fallback.humor['mae constant']).toBeCloseTo(0, 10);
    } finally {
      await writeFile(config, original);
    }
  });

  it('apm annotate writes every assistant turn with a predicted label', async () => {
    const output = join(folder, 'annotated.jsonl');
    const run = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', data, '--output', output, '--batch-size', '5']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('annotate: started (24 responses)');
    expect(run.stderr).toMatch(/annotate: done in/);
    const lines = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { conversations: { label: string | null }[] });
    expect(lines).toHaveLength(24);
    for (const line of lines) expect(line.conversations[1]!.label).toMatch(/^quality:\d,toxicity:\d,humor:\d,creativity:\d$/);
  });

  it('apm annotate replaces labels it cannot parse instead of refusing them', async () => {
    const stale = join(folder, 'stale-labels.jsonl');
    await writeFile(stale, (await readFile(data, 'utf8')).replace(/quality:4,toxicity:0,humor:\d,creativity:\d/g, 'helpfulness:9,verbosity:x'));
    const output = join(folder, 'relabelled.jsonl');
    const run = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', stale, '--output', output]);
    expect(run.code, run.stderr).toBe(0);
    const lines = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { conversations: { label: string | null }[] });
    expect(lines).toHaveLength(24);
    for (const line of lines) expect(line.conversations[1]!.label).toMatch(/^quality:\d,toxicity:\d,humor:\d,creativity:\d$/);
  });

  it('apm annotate rates the response of a HelpSteer2-layout record and keeps its multi-turn prompt in one User turn', async () => {
    const input = join(folder, 'helpsteer2.jsonl');
    const prompt = 'Tell me a joke.\n<extra_id_1>Assistant\nWhy not!\n<extra_id_1>User\nAnother one?';
    await writeFile(
      input,
      `${JSON.stringify({
        system: 'S',
        mask: 'User',
        type: 'VALUE_TO_TEXT',
        conversations: [
          { from: 'User', value: prompt, label: null },
          { from: 'Assistant', value: 'Sure!', label: null },
        ],
      })}\n`,
    );
    const output = join(folder, 'helpsteer2-annotated.jsonl');
    const run = await runCommandInProcess(['apm', 'annotate', '--model', predictor, '--data', input, '--output', output, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ records: 1, responses: 1 });
    const record = JSON.parse(await readFile(output, 'utf8')) as { conversations: { from: string; value: string; label: string | null }[] };
    expect(record.conversations.map((turn) => [turn.from, turn.value])).toEqual([
      ['User', prompt],
      ['Assistant', 'Sure!'],
    ]);
    expect(record.conversations[1]!.label).toMatch(/^quality:\d,toxicity:\d,humor:\d,creativity:\d$/);
  });

  it('bootstrap generates, re-annotates and resumes without duplicates', async () => {
    const output = join(folder, 'bootstrap.jsonl');
    const args = ['bootstrap', '--model', 'attribute-echo', '--scorer', predictor, '--data', data, '--output', output, '--max-tokens', '32', '--json'];
    const first = await runCommandInProcess(args);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ written: 24, resumed: 0, total: 24 });
    const again = await runCommandInProcess(args);
    expect(JSON.parse(again.stdout)).toMatchObject({ written: 0, resumed: 24 });
    const records = (await readFile(output, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { requested_label: string; conversations: { value: string }[] });
    expect(records).toHaveLength(24);
    expect(records[0]!.conversations.at(-1)!.value).toContain('Steered to');
  });

  it('bootstrap on labelled data without top-quality rows says so, not "annotate the data first"', async () => {
    const modest = join(folder, 'modest.jsonl');
    await writeFile(modest, (await readFile(data, 'utf8')).replaceAll('quality:4', 'quality:2'));
    const run = await runCommandInProcess([
      'bootstrap',
      '--model',
      'attribute-echo',
      '--scorer',
      predictor,
      '--data',
      modest,
      '--output',
      join(folder, 'modest-out.jsonl'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('has 24 labelled assistant turns, but none at the top quality (4); the highest is quality 2');
    expect(run.stderr).not.toContain('annotate the data first');
  });

  it('bootstrap refuses a scorer whose schema is not the one the model folder records', async () => {
    const model = join(folder, 'steerlm-schema-model');
    await mkdir(model, { recursive: true });
    await writeSteeringSettings(model, { schema: STEERLM, schemaName: 'steerlm' });
    const run = await runCommandInProcess(['bootstrap', '--model', model, '--scorer', predictor, '--data', data, '--output', join(folder, 'mismatch.jsonl')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the model was trained on the attributes quality, toxicity, humor, creativity, helpfulness');
    expect(run.stderr).toContain('but the scorer predicts quality, toxicity, humor, creativity');
  });

  it('eval sweeps an attribute and writes a report', async () => {
    const prompts = join(folder, 'prompts.txt');
    await writeFile(prompts, 'Tell me a joke.\nWhat is two plus two?\n');
    const output = join(folder, 'report');
    const run = await runCommandInProcess([
      'eval',
      '--model',
      'attribute-echo',
      '--scorer',
      predictor,
      '--prompts',
      prompts,
      '--grid',
      'humor=0/4',
      '--output',
      output,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/attribute\s+samples\s+mae\s+spearman\s+exact match/);
    expect(run.stdout).toMatch(/humor\s+4\s/);
    expect(await readFile(join(output, 'evaluation-report.html'), 'utf8')).toContain('<html');
    const bad = await runCommandInProcess(['eval', '--model', 'attribute-echo', '--scorer', predictor, '--prompts', prompts, '--grid', 'humor=a']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('non-integer value');
    const base = ['eval', '--model', 'attribute-echo', '--scorer', predictor, '--prompts', prompts, '--grid', 'humor=0/4'];
    const guided = await runCommandInProcess([...base, '--guidance', '2', '--guidance-neutral', 'humor=0', '--json']);
    expect(guided.code, guided.stderr).toBe(0);
    expect(JSON.parse(guided.stdout)).toMatchObject({ guidance: { scale: 2, neutral: { humor: 0 } }, attributes: [{ attribute: 'humor', samples: 4 }] });
    const lone = await runCommandInProcess([...base, '--guidance-neutral', 'humor=0']);
    expect([lone.code, lone.stderr]).toEqual([2, expect.stringContaining('--guidance-neutral needs --guidance')]);
  });
});
