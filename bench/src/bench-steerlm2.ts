/**
 * SteerLM 2.0 against a SteerLM 1 bootstrap round on SteerBench (issue 13): per seed, the SteerBench
 * demo's data, APM and conditioned SFT model; from that one SFT model, one SteerLM 1 round (the demo's
 * bootstrap: sample under top-quality combinations, re-annotate with the APM, fine-tune) and one
 * SteerLM 2.0 round (n responses per prompt, NeMo-Aligner's weighted objective) on the same budget of
 * sampled responses, optimizer steps and responses per step; then every model is evaluated on the same
 * steering and correctness prompts. Reports per attribute the adherence MAE and Spearman ρ with
 * stratified bootstrap 95 % intervals over prompts (pooled over seeds) and per-seed values.
 *
 *   npm run bench:steerlm2 -- [--seeds 1,2,3] [--output tmp/bench-steerlm2] [--sft-steps 900] [--size 3000]
 *     [--round-samples 128] [--samples-per-prompt 4] [--round-steps 40] [--steering-prompts 24]
 *     [--correctness-prompts 72] [--resamples 1000] [--steerlm2-learning-rates 3e-4,3e-5] [--fresh]
 *
 * Both rounds train at the demo's bootstrap learning rate (lr / 3); --steerlm2-learning-rates adds
 * SteerLM 2.0 rounds on the same records at other rates. A seed whose result.json is in the output
 * folder is not run again (only learning rates it lacks are added; a saved SFT model of the same
 * settings is reused) unless --fresh. Writes summary.json and summary.md there; the last line printed is
 * one JSON object with every number.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '@steerlm/sft';
import { runSeed, type SeedResult } from './steerlm2/run-seed';
import { summarizeSeeds, summaryMarkdown } from './steerlm2/summarize-seeds';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    output: { type: 'string', default: 'tmp/bench-steerlm2' },
    'sft-steps': { type: 'string', default: '900' },
    size: { type: 'string', default: '3000' },
    'round-samples': { type: 'string', default: '128' },
    'samples-per-prompt': { type: 'string', default: '4' },
    'round-steps': { type: 'string', default: '40' },
    'steering-prompts': { type: 'string', default: '24' },
    'correctness-prompts': { type: 'string', default: '72' },
    resamples: { type: 'string', default: '1000' },
    backend: { type: 'string', default: 'wasm' },
    'steerlm2-learning-rates': { type: 'string', default: '' },
    fresh: { type: 'boolean', default: false },
  },
});

const integer = (name: keyof typeof args, min: number): number => {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`--${name} must be an integer >= ${min}, got ${String(args[name])}`);
    process.exit(2);
  }
  return value;
};
const seeds = String(args.seeds)
  .split(',')
  .map((part) => Number(part.trim()));
if (seeds.some((seed) => !Number.isSafeInteger(seed) || seed < 0)) {
  console.error(`--seeds must be a comma-separated list of integers >= 0, got ${args.seeds}`);
  process.exit(2);
}
const sizes = { roundSamples: integer('round-samples', 2), samplesPerPrompt: integer('samples-per-prompt', 2), roundSteps: integer('round-steps', 1) };
const demo = {
  size: integer('size', 10),
  sftSteps: integer('sft-steps', 1),
  steeringPrompts: integer('steering-prompts', 2),
  correctnessPrompts: integer('correctness-prompts', 1),
};
const resamples = integer('resamples', 1);
const steerlm2LearningRates = String(args['steerlm2-learning-rates'])
  .split(',')
  .filter((part) => part.trim() !== '')
  .map(Number);
if (steerlm2LearningRates.some((rate) => !(rate > 0) || !Number.isFinite(rate))) {
  console.error(`--steerlm2-learning-rates must be a comma-separated list of positive numbers, got ${args['steerlm2-learning-rates']}`);
  process.exit(2);
}
const output = resolve(String(args.output));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const backend = await selectBackend({ prefer: args.backend as 'wasm' });
log(`backend ${backend.reason}`);
await mkdir(output, { recursive: true });
const results: SeedResult[] = [];
for (const seed of seeds) results.push(await runSeed(seed, demo, sizes, join(output, `seed-${seed}`), log, { reuse: !args.fresh, steerlm2LearningRates }));

const summary = summarizeSeeds(results, { resamples, seed: 0 });
const markdown = summaryMarkdown(summary);
await writeFile(join(output, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
await writeFile(join(output, 'summary.md'), markdown);
console.log(markdown);
const perSeed = results.map((result) => ({
  seed: result.seed,
  seconds: result.seconds,
  sftFinalLoss: result.sftFinalLoss,
  steerlm1: result.steerlm1,
  steerlm2: result.steerlm2,
  roundLearningRate: result.roundLearningRate,
  steerlm2Variants: result.steerlm2Variants,
}));
console.log(JSON.stringify({ benchmark: 'steerlm2', backend: backend.backend, sizes, demo, seeds, perSeed, summary }));
