import { writeTextFileAtomically } from '@steerlm/core/node';
import { loadTokenizer } from '@steerlm/sft';
import { defineCommand } from '../cli';
import { schemaByName } from '../models';
import { formatTable } from '../output';
import { datasetStats } from '../data/dataset-stats';
import { resolveDataFormat, DATA_FORMATS } from '../data/detect-data-format';
import { renderStatsHtml } from '../data/stats-html-report';
import { DATA_INPUT_OPTIONS, noteSkipped, OASST_OPTIONS, oasstReadOptions } from './data-options';

/** `steerlm data stats`: counts, label histograms and lengths of a dataset, as a table, JSON or an HTML report. */
export const dataStatsCommand = defineCommand({
  name: 'data stats',
  summary: 'count the conversations, turns and labelled responses of a dataset, with a label histogram per attribute and length quantiles',
  options: {
    ...DATA_INPUT_OPTIONS,
    tokenizer: {
      kind: 'string',
      valueName: 'PATH',
      description: 'measure lengths in tokens of this tokenizer (a model folder or tokenizer.json; default: characters)',
    },
    html: { kind: 'string', valueName: 'FILE', description: 'also write an HTML report with a histogram per attribute and of the lengths' },
    ...OASST_OPTIONS,
  },
  details: `Reads every format "data convert" and "data split" read (oasst1 with the same options, so the counts
are those of the converted file). A response that several oasst1 threads share counts once.

Examples:
  steerlm data stats --input data/oasst.jsonl --html data/oasst-stats.html
  steerlm data stats --input train.jsonl.gz --format helpsteer2 --json`,
  async run(values, _positionals, context) {
    const format = await resolveDataFormat(values.input, values.format, DATA_FORMATS);
    const tokenizer = values.tokenizer !== undefined ? await loadTokenizer(values.tokenizer) : undefined;
    const { stats, lengths } = await datasetStats({
      input: values.input,
      format,
      schema: schemaByName(values.schema),
      onError: values['on-error'] === 'skip' ? 'skip' : 'throw',
      ...(tokenizer ? { countTokens: (text: string) => tokenizer.encode(text).length } : {}),
      oasst: oasstReadOptions(values),
      onProgress: context.progress,
      signal: context.signal,
    });
    noteSkipped(context.note, stats.skipped, stats.firstErrors);
    if (values.html !== undefined) await writeTextFileAtomically(values.html, renderStatsHtml(stats, lengths));
    if (!context.json) {
      const counts: Record<string, number | string> = {
        format,
        conversations: stats.conversations,
        'user turns': stats.turns.user,
        'assistant turns': stats.turns.assistant,
        responses: stats.responses,
        labelled: stats.labelledResponses,
      };
      if (format === 'oasst1') Object.assign(counts, { trees: stats.trees, excluded: stats.excluded, orphaned: stats.orphaned });
      context.stdout.write(formatTable([counts]));
      const labelValues = [...new Set(Object.values(stats.labels).flatMap((histogram) => Object.keys(histogram)))].sort((a, b) => Number(a) - Number(b));
      const labelRows = Object.entries(stats.labels)
        .filter(([, histogram]) => Object.keys(histogram).length > 0)
        .map(([attribute, histogram]) => ({ attribute, ...Object.fromEntries(labelValues.map((value) => [value, histogram[value] ?? 0])) }));
      if (labelRows.length > 0) context.stdout.write(`\nlabels (responses per value)\n${formatTable(labelRows, ['attribute', ...labelValues])}`);
      const lengthRows = (['conversation', 'response'] as const).map((kind) => ({ [stats.unit]: kind, ...stats.lengths[kind] }));
      context.stdout.write(`\nlengths in ${stats.unit}\n${formatTable(lengthRows)}`);
    }
    if (values.html !== undefined) context.note(`HTML report: ${values.html}`);
    return values.html !== undefined ? { ...stats, html: values.html } : stats;
  },
});
