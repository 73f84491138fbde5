import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttributeSchema, ProgressListener } from '@steerlm/core';
import type { DecoderModel, LoraConfig } from '@steerlm/sft';
import { writeSteeringSettings } from '../models';

/** The tokenizer and generation files a trained model folder carries over from its base. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];

/**
 * Returns the `--lora-rank` adapters of the `sft train` commands: alpha 2·rank on the family's default
 * targets (the attention projections; none for GPT-2, whose Conv1D layers `addLora` refuses with a hint).
 */
export function loraForRank(model: DecoderModel, rank: number): LoraConfig {
  return { rank, alpha: 2 * rank, targetModules: [...(model.family.defaultLoraTargets ?? [])] };
}

/**
 * Saves a trained model as `output/final` (LoRA adapters merged) with the tokenizer files of its base
 * folder and steerlm.json (the schema it was trained on and its template, which generate, serve, eval
 * and bootstrap read as defaults), disposes it and returns the folder.
 */
export async function saveFinalModel(
  model: DecoderModel,
  base: string,
  output: string,
  steering: { schema: AttributeSchema; schemaName?: string },
): Promise<string> {
  if (model.adapters.size > 0) model.mergeLora();
  const final = join(output, 'final');
  await model.save(final);
  for (const file of TOKENIZER_FILES) {
    if ((await stat(join(base, file)).catch(() => undefined)) !== undefined) await copyFile(join(base, file), join(final, file));
  }
  await writeSteeringSettings(final, steering);
  model.dispose();
  return final;
}

/** The `sft train` values both objectives read. */
export interface CommonTrainValues {
  output: string;
  epochs: number;
  'learning-rate': number;
  seed: number;
  'max-steps'?: number | undefined;
  'max-sequence-length'?: number | undefined;
  'checkpoint-every'?: number | undefined;
  'lora-rank'?: number | undefined;
  resume?: boolean | undefined;
  overwrite?: boolean | undefined;
}

/** Returns the trainer options both `sft train` objectives take from the command line. */
export function commonTrainOptions(values: CommonTrainValues, model: DecoderModel, context: { progress: ProgressListener; signal: AbortSignal }) {
  return {
    epochs: values.epochs,
    learningRate: values['learning-rate'],
    seed: values.seed,
    outputDir: values.output,
    ...(values['max-steps'] !== undefined ? { maxSteps: values['max-steps'] } : {}),
    ...(values['max-sequence-length'] !== undefined ? { maxSequenceLength: values['max-sequence-length'] } : {}),
    ...(values['checkpoint-every'] !== undefined ? { checkpointEvery: values['checkpoint-every'] } : {}),
    ...(values['lora-rank'] !== undefined ? { lora: loraForRank(model, values['lora-rank']) } : {}),
    ...(values.resume ? { resume: values.output } : {}),
    ...(values.overwrite ? { overwrite: true } : {}),
    onEvent: context.progress,
    signal: context.signal,
  };
}
