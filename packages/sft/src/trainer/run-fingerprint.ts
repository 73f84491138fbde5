import { createHash } from 'node:crypto';
import { STEERLM, type Conversation } from '@steerlm/core';
import type { TrainConditionedSFTOptions } from './train-conditioned-sft';

/** What a training run depends on: a digest of the data's content and every option that shapes the run. */
export interface RunFingerprint {
  version: 2;
  /** SHA-256 of the training records (their JSON, one per line, in order). */
  data: string;
  records: number;
  /** The resolved options (learning rate, batch size, seed, schedule, LoRA, …). */
  options: Record<string, unknown>;
}

/** Returns the SHA-256 (hex) of `conversations`' content, in order. */
export function dataDigest(conversations: readonly Conversation[]): string {
  const hash = createHash('sha256');
  for (const conversation of conversations) hash.update(`${JSON.stringify(conversation)}\n`);
  return hash.digest('hex');
}

/** Returns the fingerprint of a run as the string stored in checkpoints and run.json. */
export function runFingerprint(conversations: readonly Conversation[], options: Record<string, unknown>): string {
  const fingerprint: RunFingerprint = { version: 2, data: dataDigest(conversations), records: conversations.length, options };
  return JSON.stringify(fingerprint);
}

/** The options trainConditionedSFT resolved itself (defaults applied). */
export interface ResolvedTrainingOptions {
  seed: number;
  batchSize: number;
  accumulation: number;
  epochs: number;
  maxSequenceLength: number;
  learningRate: number;
  packed: boolean;
  dropout: number;
}

/**
 * Returns the fingerprint of a trainConditionedSFT run: the data's content and every option that shapes
 * the run. `maxSteps` is left out, so a resume may extend or shorten a run (the schedule follows the new total).
 */
export function trainingFingerprint(conversations: readonly Conversation[], options: TrainConditionedSFTOptions, resolved: ResolvedTrainingOptions): string {
  return runFingerprint(conversations, {
    ...resolved,
    lora: options.lora ?? null,
    warmupSteps: options.warmupSteps ?? null,
    minLearningRate: options.minLearningRate ?? null,
    weightDecay: options.weightDecay ?? 0.01,
    maxGradNorm: options.maxGradNorm ?? 1,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    multiTurn: options.multiTurn ?? true,
    truncationSide: options.truncationSide ?? 'right',
    freezeEmbeddings: options.freezeEmbeddings ?? false,
    schema: (options.schema ?? STEERLM).attributes.map((attribute) => attribute.name),
    vocabSize: options.tokenizer.vocabSize,
  });
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : JSON.stringify(value);
}

/**
 * Returns how the run of fingerprint `current` differs from the one that wrote `stored` (empty when the
 * same), one readable phrase per difference, e.g. `learningRate 0.001 (the checkpoint has 0.0003)`.
 */
export function fingerprintDifferences(stored: string, current: string): string[] {
  let before: Partial<RunFingerprint>;
  try {
    before = JSON.parse(stored) as Partial<RunFingerprint>;
  } catch {
    before = {};
  }
  const now = JSON.parse(current) as RunFingerprint;
  if (before.version !== 2 || typeof before.options !== 'object' || before.options === null) {
    return ['the checkpoint was written by an older version of the trainer, which did not record the data content'];
  }
  const differences: string[] = [];
  if (before.records !== now.records) differences.push(`the data has ${now.records} records (the checkpoint's run had ${show(before.records)})`);
  else if (before.data !== now.data)
    differences.push(`the data's content differs (SHA-256 ${now.data.slice(0, 12)}…, the checkpoint's run had ${String(before.data).slice(0, 12)}…)`);
  const names = new Set([...Object.keys(before.options), ...Object.keys(now.options)]);
  for (const name of names) {
    const was = before.options[name];
    const is = now.options[name];
    if (JSON.stringify(was) !== JSON.stringify(is)) differences.push(`${name} ${show(is)} (the checkpoint has ${show(was)})`);
  }
  return differences;
}
