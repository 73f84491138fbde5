import { DataFormatError, InvalidOptionError, readJsonl } from '@steerlm/core';
import { readParquetInfo } from '@steerlm/core/node';

/** The dataset formats `steerlm data` reads. */
export const DATA_FORMATS = Object.freeze(['oasst1', 'helpsteer', 'helpsteer2', 'nemo', 'regression'] as const);
export type DataFormat = (typeof DATA_FORMATS)[number];

/** The formats `steerlm data convert` converts from (the public datasets). */
export const SOURCE_FORMATS = Object.freeze(['oasst1', 'helpsteer', 'helpsteer2'] as const);

/** How a file's records are stored: JSON lines (plain or .gz) or parquet. */
export type DataContainer = 'jsonl' | 'parquet';

/** The columns of a HelpSteer / HelpSteer2 row, as the Hub ships them. */
export const HELPSTEER_COLUMNS = Object.freeze(['prompt', 'response', 'helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity']);

/** Returns how a file is stored, from its extension: `.parquet` is parquet, anything else JSON lines (`.gz` decompressed). */
export function dataContainerOf(path: string): DataContainer {
  return /\.parquet$/i.test(path) ? 'parquet' : 'jsonl';
}

/** Returns the format a record's fields say, or an error naming what it looks like instead. */
function formatOfFields(fields: ReadonlySet<string>, values: Readonly<Record<string, unknown>>, where: { file: string; line?: number }): DataFormat {
  const has = (...names: string[]) => names.every((name) => fields.has(name));
  if (has('message_tree_id', 'role', 'text')) return 'oasst1';
  if (has('message_tree_id', 'prompt') && typeof values['prompt'] === 'object') {
    throw new DataFormatError('this is an oasst1 trees file (one nested tree per line); steerlm data reads the message files', {
      ...where,
      hint: 'use the messages file of the same export, e.g. 2023-04-12_oasst_all.messages.jsonl.gz, or the Hub parquet split converted to JSONL',
    });
  }
  if (has('prompt', 'response_1', 'response_2')) {
    throw new DataFormatError('this is HelpSteer2 preference data (response_1, response_2); steerlm data reads the rated rows', {
      ...where,
      hint: 'use the HelpSteer2 train.jsonl.gz or validation.jsonl.gz of nvidia/HelpSteer2',
    });
  }
  if (has('prompt', 'response', 'helpfulness')) return 'helpsteer';
  if (has('conversations', 'mask')) return 'nemo';
  if (has('text', 'label') && Array.isArray(values['label'])) return 'regression';
  const shown = [...fields].slice(0, 12).join(', ');
  throw new DataFormatError(`cannot tell the format from the fields of the first record (${shown || 'none'})`, {
    ...where,
    hint: `pass --format (${DATA_FORMATS.join(', ')})`,
  });
}

/**
 * Returns the format of a data file from its extension and its first record's fields: oasst1 message
 * rows (`message_tree_id`, `role`, `text`), HelpSteer rows (`prompt`, `response`, `helpfulness`, …; a
 * HelpSteer2 file reads the same, so it is reported as `helpsteer`), NeMo SteerLM records
 * (`conversations`, `mask`) or regression records (`text`, `label` list).
 */
export async function detectDataFormat(path: string): Promise<DataFormat> {
  if (dataContainerOf(path) === 'parquet') {
    const { columns } = await readParquetInfo(path);
    return formatOfFields(new Set(columns), {}, { file: path });
  }
  for await (const { line, value } of readJsonl(path, { maxLineBytes: 256 * 1024 * 1024 })) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DataFormatError('the first record is not a JSON object', { file: path, line, hint: `pass --format (${DATA_FORMATS.join(', ')})` });
    }
    return formatOfFields(new Set(Object.keys(value)), value as Record<string, unknown>, { file: path, line });
  }
  throw new DataFormatError('the file has no records', { file: path, hint: 'check the path; the file is empty or holds only blank lines' });
}

/** Returns the format given by --format, or the one the file's content says; a file of another format than asked stops early. */
export async function resolveDataFormat(path: string, asked: string | undefined, allowed: readonly DataFormat[]): Promise<DataFormat> {
  const format = (asked ?? (await detectDataFormat(path))) as DataFormat;
  if (!allowed.includes(format)) {
    throw new InvalidOptionError(`${path} holds ${format} records; this command reads ${allowed.join(', ')}`, {
      option: asked !== undefined ? 'format' : 'input',
      hint: format === 'nemo' ? 'the file is already NeMo SteerLM JSONL: use it as it is' : undefined,
    });
  }
  return format;
}
