import { resolve } from 'node:path';
import { InvalidOptionError } from '@steerlm/core';
import { defineCommand } from '../cli';
import { schemaByName } from '../models';
import { formatTable } from '../output';
import { convertDataFile, CONVERT_TARGETS, keptOutputNote } from '../data/convert-data-file';
import { resolveDataFormat, SOURCE_FORMATS } from '../data/detect-data-format';
import { DATA_INPUT_OPTIONS, listOption, noteSkipped, OASST_OPTIONS, oasstReadOptions } from './data-options';

/** `steerlm data convert`: the public datasets (oasst1, HelpSteer, HelpSteer2) into the NeMo SteerLM JSONL every command reads. */
export const dataConvertCommand = defineCommand({
  name: 'data convert',
  summary: 'convert oasst1, HelpSteer or HelpSteer2 (JSONL, .jsonl.gz, parquet) into NeMo SteerLM JSONL or regression JSONL, as NeMo-Aligner does',
  options: {
    ...DATA_INPUT_OPTIONS,
    format: { ...DATA_INPUT_OPTIONS.format, choices: SOURCE_FORMATS },
    output: {
      kind: 'string',
      valueName: 'FILE',
      required: true,
      description: 'the JSONL to write; written as FILE.partial and renamed when done, so a stopped run keeps its records and resumes',
    },
    to: {
      kind: 'string',
      default: 'nemo',
      choices: CONVERT_TARGETS,
      description: 'nemo: SteerLM records (one per oasst thread, per HelpSteer row); regression: {text, label} per labelled response',
    },
    attributes: {
      kind: 'string',
      valueName: 'NAMES',
      description: "keep only these attributes in the labels, comma-separated (helpfulness: NeMo's preprocess_helpsteer2_data.py --only_helpfulness)",
    },
    unique: { kind: 'boolean', description: 'regression: write each distinct record once (NeMo writes a response once per oasst thread that holds it)' },
    system: { kind: 'string', valueName: 'TEXT', description: "the system prompt of every record (default: NeMo-Aligner's)" },
    ...OASST_OPTIONS,
  },
  details: `The defaults reproduce NeMo-Aligner's preprocess_openassistant_data.py, preprocess_helpsteer_data.py
and preprocess_helpsteer2_data.py (and process_to_regression_format.py with --to regression): every
message kept (deleted, failed review, all languages), labels binned as round(v * 4), threads of two
turns or more, VALUE_TO_TEXT records. oasst1 records also carry "tree_id", which "data split" and
"apm train" keep together.

Examples:
  steerlm data convert --input 2023-04-12_oasst_all.messages.jsonl.gz --output data/oasst.jsonl
  steerlm data convert --input train.jsonl.gz --format helpsteer2 --output data/helpsteer2.jsonl
  steerlm data convert --input train.parquet --output data/regression.jsonl --to regression`,
  async run(values, _positionals, context) {
    if (resolve(values.input) === resolve(values.output)) {
      throw new InvalidOptionError('--output is the --input file', { option: 'output', hint: 'write the converted records to another file' });
    }
    const format = (await resolveDataFormat(values.input, values.format, SOURCE_FORMATS)) as 'oasst1' | 'helpsteer' | 'helpsteer2';
    const summary = await convertDataFile({
      input: values.input,
      output: values.output,
      format,
      to: values.to as 'nemo' | 'regression',
      schema: schemaByName(values.schema),
      onError: values['on-error'] === 'skip' ? 'skip' : 'throw',
      ...(values.system !== undefined ? { system: values.system } : {}),
      ...(values.unique ? { unique: true } : {}),
      ...(values.attributes !== undefined ? { attributes: listOption(values.attributes, 'attributes') } : {}),
      oasst: oasstReadOptions(values),
      onProgress: context.progress,
      signal: context.signal,
      onStopped: (kept) => {
        if (kept > 0) context.note(keptOutputNote(values.output, kept));
      },
    });
    noteSkipped(context.note, summary.skipped, summary.firstErrors);
    if (!context.json) {
      const row: Record<string, number | string> = {
        format,
        read: summary.read,
        conversations: summary.conversations,
        'labelled responses': summary.labelledResponses,
      };
      if (format === 'oasst1') Object.assign(row, { trees: summary.trees, excluded: summary.excluded, orphaned: summary.orphaned });
      Object.assign(row, { written: summary.records, skipped: summary.skipped });
      context.stdout.write(formatTable([row]));
      context.stdout.write(
        `${values.to === 'nemo' ? 'NeMo SteerLM' : 'regression'} JSONL: ${values.output}${summary.resumed > 0 ? ` (resumed after ${summary.resumed} records)` : ''}\n`,
      );
    }
    return summary;
  },
});
