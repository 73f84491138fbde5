import { MODEL_FAMILY_NAMES, type ModelFamilyName } from '@steerlm/sft';
import { defineCommand } from '../cli';
import { DEFAULT_DEMO_OPTIONS, formatDemoSummary, runDemo, type DemoOptions } from '../demo';
import { BACKEND_OPTION } from './backend-option';
import { ENGINE_OPTION } from './engine-option';

const defaults = DEFAULT_DEMO_OPTIONS;

/** `steerlm demo`: the SteerBench demonstration of the whole SteerLM method, on the CPU. */
export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'run the SteerBench demo: the whole SteerLM method on a task whose attributes are measured exactly',
  options: {
    seed: { kind: 'integer', min: 0, default: defaults.seed, description: 'seeds the data, the models, training and sampling' },
    output: { kind: 'string', valueName: 'DIR', default: defaults.outputDir, description: 'where the report (JSON + HTML), data and models go' },
    size: { kind: 'integer', min: 10, default: defaults.size, description: 'SteerBench responses generated for training' },
    'labeled-fraction': {
      kind: 'number',
      min: 0,
      default: defaults.labeledFraction,
      description: 'share of responses with annotator labels (the APM annotates the rest)',
    },
    'label-noise': { kind: 'number', min: 0, default: defaults.labelNoise, description: 'probability that an annotator label is off by one' },
    correct: { kind: 'number', min: 0, description: 'share of correct answers in the data (mixture)' },
    declined: { kind: 'number', min: 0, description: 'share of declined answers in the data (mixture)' },
    wrong: { kind: 'number', min: 0, description: 'share of wrong answers in the data (mixture)' },
    facts: { kind: 'integer', min: 2, default: defaults.facts, description: 'how many facts the questions ask about' },
    'sft-steps': { kind: 'integer', min: 1, default: defaults.sftSteps, description: 'optimizer steps of conditioned SFT' },
    'baseline-steps': { kind: 'integer', min: 1, description: 'optimizer steps of the plain-SFT baseline (default: --sft-steps)' },
    'bootstrap-prompts': { kind: 'integer', min: 1, default: defaults.bootstrapPrompts, description: 'prompts answered in the bootstrap round' },
    'bootstrap-steps': { kind: 'integer', min: 0, default: defaults.bootstrapSteps, description: 'optimizer steps on the bootstrap data' },
    'steering-prompts': { kind: 'integer', min: 1, default: defaults.steeringPrompts, description: 'prompts per requested value of each steering curve' },
    'correctness-prompts': { kind: 'integer', min: 1, default: defaults.correctnessPrompts, description: 'prompts of the correctness comparison' },
    'vocab-size': { kind: 'integer', min: 300, default: defaults.vocabSize, description: 'BPE vocabulary size of the tokenizer trained from scratch' },
    family: { kind: 'string', choices: MODEL_FAMILY_NAMES, default: defaults.model.family, description: 'decoder family of the small model' },
    'hidden-size': { kind: 'integer', min: 8, default: defaults.model.hiddenSize, description: 'width of the small decoder' },
    layers: { kind: 'integer', min: 1, default: defaults.model.layers, description: 'layers of the small decoder' },
    heads: { kind: 'integer', min: 1, default: defaults.model.heads, description: 'attention heads of the small decoder' },
    'batch-size': { kind: 'integer', min: 1, default: defaults.batchSize, description: 'conversations per training step' },
    'learning-rate': { kind: 'number', min: 0, default: defaults.learningRate, description: 'peak learning rate of every training run' },
    ...BACKEND_OPTION,
    ...ENGINE_OPTION,
  },
  details: `Trains an attribute predictor on the labelled part of SteerBench and annotates the rest, trains a small
language model from scratch with conditioned SFT beside a plain-SFT baseline, runs a bootstrap round and
measures correctness and steering with exact ground-truth scorers. With --json the output is one JSON line
holding every claim's numbers.

Examples:
  steerlm demo
  steerlm demo --seed 1 --json
  steerlm demo --size 400 --sft-steps 20 --bootstrap-steps 2 --steering-prompts 2 --output runs/quick`,
  async run(values, _positionals, context) {
    const mixture = {
      ...(values.correct !== undefined ? { correct: values.correct } : {}),
      ...(values.declined !== undefined ? { declined: values.declined } : {}),
      ...(values.wrong !== undefined ? { wrong: values.wrong } : {}),
    };
    const options: DemoOptions = {
      seed: values.seed,
      outputDir: values.output,
      size: values.size,
      labeledFraction: values['labeled-fraction'],
      labelNoise: values['label-noise'],
      mixture,
      facts: values.facts,
      sftSteps: values['sft-steps'],
      ...(values['baseline-steps'] !== undefined ? { baselineSteps: values['baseline-steps'] } : {}),
      bootstrapPrompts: values['bootstrap-prompts'],
      bootstrapSteps: values['bootstrap-steps'],
      steeringPrompts: values['steering-prompts'],
      correctnessPrompts: values['correctness-prompts'],
      vocabSize: values['vocab-size'],
      model: { family: values.family as ModelFamilyName, hiddenSize: values['hidden-size'], layers: values.layers, heads: values.heads },
      batchSize: values['batch-size'],
      learningRate: values['learning-rate'],
      ...(values.backend !== undefined ? { backend: values.backend as NonNullable<DemoOptions['backend']> } : {}),
      ...(values.engine !== undefined ? { engine: values.engine as NonNullable<DemoOptions['engine']> } : {}),
      signal: context.signal,
    };
    const result = await runDemo(options, { onEvent: context.progress, onNote: (line) => context.note(line) });
    if (!context.json) context.stdout.write(`${formatDemoSummary(result)}\n`);
    return result.claims;
  },
});
