import { join, resolve } from 'node:path';
import { InvalidOptionError } from '@steerlm/core';
import { defineCommand } from '../cli';
import { schemaByName } from '../models';
import { formatTable } from '../output';
import { resolveDataFormat, type DataFormat } from '../data/detect-data-format';
import { splitDataFile } from '../data/split-data-file';
import { parseSplitSizes, SPLIT_PARTS, type SplitPart } from '../data/split-sizes';
import { DATA_INPUT_OPTIONS, noteSkipped } from './data-options';

/** `steerlm data split`: train / validation / test files by conversation tree or prompt, seeded. */
export const dataSplitCommand = defineCommand({
  name: 'data split',
  summary: 'split a JSONL dataset into train, validation and test files by conversation tree or prompt (never across one), seeded',
  options: {
    ...DATA_INPUT_OPTIONS,
    'output-dir': {
      kind: 'string',
      valueName: 'DIR',
      description: 'write DIR/train.jsonl, DIR/validation.jsonl and DIR/test.jsonl (when --sizes names a test part)',
    },
    train: { kind: 'string', valueName: 'FILE', description: 'the train file (instead of --output-dir)' },
    validation: { kind: 'string', valueName: 'FILE', description: 'the validation file (instead of --output-dir)' },
    test: { kind: 'string', valueName: 'FILE', description: 'the test file (instead of --output-dir)' },
    sizes: {
      kind: 'string',
      valueName: 'T,V[,T]',
      default: '0.95,0.05',
      description: 'train,validation[,test]: fractions (0.9,0.05,0.05; a sum under 1 samples), counts of records (10000,500,500), or rest for one part',
    },
    seed: { kind: 'integer', default: 0, description: 'changes which trees or prompts go where; the same seed gives the same split' },
  },
  details: `Records are kept whole and unchanged. The group of a record: an oasst1 message's message_tree_id,
a NeMo or regression record's tree_id (what "data convert" writes for oasst1), else its prompt (the
first User turn), so the responses to one prompt stay together. Sizes are met to within one group.

Examples:
  steerlm data split --input data/oasst.jsonl --output-dir data/oasst --sizes 0.9,0.05,0.05 --seed 1
  steerlm data split --input data/helpsteer2.jsonl --train train.jsonl --validation val.jsonl --sizes rest,1000`,
  async run(values, _positionals, context) {
    const format: DataFormat = await resolveDataFormat(values.input, values.format, ['oasst1', 'helpsteer', 'helpsteer2', 'nemo', 'regression']);
    const sizes = parseSplitSizes(values.sizes);
    const files = { train: values.train, validation: values.validation, test: values.test };
    const named = SPLIT_PARTS.filter((part) => files[part] !== undefined);
    if (values['output-dir'] !== undefined && named.length > 0) {
      throw new InvalidOptionError('give --output-dir or --train/--validation/--test, not both', { option: 'output-dir' });
    }
    const outputs: Partial<Record<SplitPart, string>> = {};
    for (const part of SPLIT_PARTS) {
      if (sizes[part] === undefined) continue;
      const file = values['output-dir'] !== undefined ? join(values['output-dir'], `${part}.jsonl`) : files[part];
      if (file === undefined) {
        throw new InvalidOptionError(`--sizes asks for a ${part} part, but no file is given for it`, {
          option: part,
          hint: `give --${part} FILE, or --output-dir DIR`,
        });
      }
      outputs[part] = file;
    }
    for (const [part, file] of Object.entries(outputs)) {
      if (resolve(file) === resolve(values.input)) {
        throw new InvalidOptionError(`the ${part} file is the --input file`, { option: part, hint: 'write the parts to other files' });
      }
    }
    for (const part of named) {
      if (sizes[part] === undefined) throw new InvalidOptionError(`--${part} is given, but --sizes has no ${part} part`, { option: 'sizes' });
    }
    const summary = await splitDataFile({
      input: values.input,
      format,
      outputs,
      sizes,
      seed: values.seed,
      schema: schemaByName(values.schema),
      onError: values['on-error'] === 'skip' ? 'skip' : 'throw',
      onProgress: context.progress,
      signal: context.signal,
    });
    noteSkipped(context.note, summary.skipped, summary.firstErrors);
    for (const [part, { records }] of Object.entries(summary.parts)) {
      if (records === 0) context.note(`warning: the ${part} part is empty: the input has ${summary.groups} groups; ask for a larger ${part} size`);
    }
    if (summary.unused > 0) context.note(`${summary.unused} records are in no part (the sizes ask for fewer than the input has)`);
    if (!context.json) {
      context.stdout.write(
        formatTable(
          Object.entries(summary.parts).map(([part, { file, records, groups }]) => ({
            part,
            records,
            share: records / summary.records,
            groups,
            file,
          })),
        ),
      );
    }
    return summary;
  },
});
