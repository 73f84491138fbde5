import { InvalidOptionError, readSteerLM2Records, type AttributeSchema, type SteerLM2Record } from '@steerlm/core';
import type { CommandContext } from '../cli';
import { resolveModelFolder } from '../models';
import { formatTable } from '../output';
import { commonTrainOptions, saveFinalModel, type CommonTrainValues } from './final-model';

/** The `sft train` options SteerLM 2.0 training reads. */
export interface SteerLM2TrainValues extends CommonTrainValues {
  data: string;
  model?: string | undefined;
  init?: string | undefined;
  validation?: string | undefined;
  'batch-size': number;
  /** The preset name of the schema, recorded in the model folder. */
  schema?: string | undefined;
}

/**
 * `steerlm sft train --objective steerlm2`: SteerLM 2.0 on the records `steerlm bootstrap --steerlm2`
 * writes (NeMo-Aligner's layout); `--batch-size` counts prompts, each with all its responses.
 */
export async function runSteerLM2Training(values: SteerLM2TrainValues, schema: AttributeSchema, backend: string, context: CommandContext): Promise<unknown> {
  if (values.model === undefined || values.init !== undefined) {
    throw new InvalidOptionError('--objective steerlm2 continues a SteerLM model: give --model FOLDER (the model that sampled the records), not --init', {
      option: 'model',
    });
  }
  if (values.validation !== undefined)
    throw new InvalidOptionError('--validation is not used with --objective steerlm2', { option: 'validation', hint: 'drop --validation' });
  const sft = await import('@steerlm/sft');
  const records: SteerLM2Record[] = [];
  for await (const { value } of readSteerLM2Records(values.data, { schema })) records.push(value);
  context.note(`data ${records.length} prompts, ${records.reduce((sum, record) => sum + record.responses.length, 0)} responses`);
  const { folder } = await resolveModelFolder(values.model, { onProgress: context.progress });
  const model = await sft.DecoderModel.load(folder);
  const tokenizer = await sft.loadTokenizer(folder);
  context.note(`model ${values.model} · ${model.parameterCount().toLocaleString('en-US')} parameters`);
  const { summary } = await sft.trainSteerLM2({
    model,
    tokenizer,
    train: records,
    schema,
    promptsPerStep: values['batch-size'],
    ...commonTrainOptions(values, model, context),
  });
  const final = await saveFinalModel(model, folder, values.output, { schema, ...(values.schema !== undefined ? { schemaName: values.schema } : {}) });
  if (!context.json) {
    context.stdout.write(
      formatTable([
        {
          steps: summary.steps,
          prompts: summary.records,
          responses: summary.responses,
          'final loss': summary.finalLoss,
          'KL(w‖b)': summary.finalKlDivergence,
          seconds: summary.elapsedMs / 1000,
        },
      ]),
    );
    context.stdout.write(`trained model: ${final}\n`);
  }
  return { objective: 'steerlm2', ...summary, lossCurve: undefined, final, backend };
}
