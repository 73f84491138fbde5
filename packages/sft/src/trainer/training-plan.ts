/**
 * The settings both trainers (conditioned SFT and SteerLM 2.0) resolve the same way: positive
 * options with defaults, the sequence length the model allows, the learning-rate schedule, and
 * records collected from a sync or async source.
 */
import { InvalidOptionError } from '@steerlm/core';
import type { DecoderModel } from '../models';
import type { LearningRateSchedule } from './learning-rate-schedule';

/** Returns `value ?? fallback`, or throws an InvalidOptionError naming `option` unless it is positive (and an integer when `integer`). */
export function positiveOption(value: number | undefined, fallback: number, option: string, integer = true): number {
  const resolved = value ?? fallback;
  if (!(resolved > 0) || (integer && !Number.isInteger(resolved)))
    throw new InvalidOptionError(`${option} must be a positive ${integer ? 'integer' : 'number'}, got ${resolved}`, { option });
  return resolved;
}

/** Returns the training sequence length: `requested`, or min(512, the model's positions); throws when it exceeds the model's positions. */
export function trainingSequenceLength(model: DecoderModel, requested: number | undefined): number {
  const maxPositions = model.config.maxPositionEmbeddings;
  const length = positiveOption(requested, Math.min(512, maxPositions), 'maxSequenceLength');
  if (length > maxPositions) {
    throw new InvalidOptionError(`maxSequenceLength ${length} exceeds the model's ${maxPositions} positions`, {
      option: 'maxSequenceLength',
      hint: `use at most ${maxPositions}`,
    });
  }
  return length;
}

/** Returns the warmup + cosine schedule over `totalSteps` (warmup min(100, 10 %) and floor lr/10 by default). */
export function trainingSchedule(
  totalSteps: number,
  learningRate: number,
  options: { warmupSteps?: number | undefined; minLearningRate?: number | undefined },
): LearningRateSchedule {
  return {
    learningRate,
    warmupSteps: options.warmupSteps ?? Math.min(100, Math.floor(totalSteps / 10)),
    totalSteps,
    minLearningRate: options.minLearningRate ?? learningRate / 10,
  };
}

/** Resolves to every item of a sync or async source, in order. */
export async function collectAll<T>(source: Iterable<T> | AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source as AsyncIterable<T>) out.push(item);
  return out;
}
