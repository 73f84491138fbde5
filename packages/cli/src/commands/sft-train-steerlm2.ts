import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError, readSteerLM2Records, type AttributeSchema, type SteerLM2Record } from '@steerlm/core';
import type { CommandContext } from '../cli';
import { formatTable } from '../output';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];

/** The `sft train` options SteerLM 2.0 training reads. */
export interface SteerLM2TrainValues {
  data: string;
  output: string;
  model?: string | undefined;
  init?: string | undefined;
  validation?: string | undefined;
  epochs: number;
  'max-steps'?: number | undefined;
  'batch-size': number;
  'learning-rate': number;
  'max-sequence-length'?: number | undefined;
  'lora-rank'?: number | undefined;
  'checkpoint-every'?: number | undefined;
  resume?: boolean | undefined;
  seed: number;
}

/**
 * `steerlm sft train --objective steerlm2`: SteerLM 2.0 on the records `steerlm bootstrap --steerlm2`
 * writes (NeMo-Aligner's layout); `--batch-size` counts prompts, each with all its responses.
 */
export async function runSteerLM2Training(values: SteerLM2TrainValues, schema: AttributeSchema, backend: string, context: CommandContext): Promise<unknown> {
  if (values.model === undefined || values.init !== undefined) {
    throw new InvalidOptionError('--objective steerlm2 continues a SteerLM model: give --model FOLDER (the model that sampled the records), not --init', { option: 'model' });
  }
  if (values.validation !== undefined) throw new InvalidOptionError('--validation is not used with --objective steerlm2', { option: 'validation', hint: 'drop --validation' });
  const sft = await import('@steerlm/sft');
  const records: SteerLM2Record[] = [];
  for await (const { value } of readSteerLM2Records(values.data, { schema })) records.push(value);
  context.note(`data ${records.length} prompts, ${records.reduce((sum, record) => sum + record.responses.length, 0)} responses`);
  const model = await sft.DecoderModel.load(values.model);
  const tokenizer = await sft.loadTokenizer(values.model);
  context.note(`model ${values.model} · ${model.parameterCount().toLocaleString('en-US')} parameters`);
  const { summary } = await sft.trainSteerLM2({
    model,
    tokenizer,
    train: records,
    schema,
    epochs: values.epochs,
    promptsPerStep: values['batch-size'],
    learningRate: values['learning-rate'],
    seed: values.seed,
    outputDir: values.output,
    ...(values['max-steps'] !== undefined ? { maxSteps: values['max-steps'] } : {}),
    ...(values['max-sequence-length'] !== undefined ? { maxSequenceLength: values['max-sequence-length'] } : {}),
    ...(values['checkpoint-every'] !== undefined ? { checkpointEvery: values['checkpoint-every'] } : {}),
    ...(values['lora-rank'] !== undefined
      ? { lora: { rank: values['lora-rank'], alpha: 2 * values['lora-rank'], targetModules: model.config.family === 'gpt2' ? ['c_attn'] : ['q_proj', 'v_proj'] } }
      : {}),
    ...(values.resume ? { resume: values.output } : {}),
    onEvent: context.progress,
    signal: context.signal,
  });
  if (model.adapters.size > 0) model.mergeLora();
  const final = join(values.output, 'final');
  await model.save(final);
  for (const file of TOKENIZER_FILES) {
    if ((await stat(join(values.model, file)).catch(() => undefined)) !== undefined) await copyFile(join(values.model, file), join(final, file));
  }
  model.dispose();
  if (!context.json) {
    context.stdout.write(
      formatTable([{ steps: summary.steps, prompts: summary.records, responses: summary.responses, 'final loss': summary.finalLoss, 'KL(w‖b)': summary.finalKlDivergence, seconds: summary.elapsedMs / 1000 }]),
    );
    context.stdout.write(`trained model: ${final}\n`);
  }
  return { objective: 'steerlm2', ...summary, lossCurve: undefined, final, backend };
}
