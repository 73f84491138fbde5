import { AttributePredictor } from '@steerlm/attribute-regressor';
import { annotateNemoFile, checkAnnotationPaths, useLiteEnginesOf } from '@steerlm/attribute-regressor/node';
import { defineCommand } from '../cli';
import { PREDICTOR_OPTION } from './model-options';

/** `steerlm apm annotate`: label every assistant turn with predicted attributes (SteerLM step 2). */
export const apmAnnotateCommand = defineCommand({
  name: 'apm annotate',
  summary: 'label every assistant turn of a dataset with an attribute prediction model (SteerLM step 2)',
  options: {
    ...PREDICTOR_OPTION,
    data: { kind: 'string', valueName: 'FILE', required: true, description: 'NeMo SteerLM JSONL (labels, if any, are replaced; other keys are kept)' },
    output: {
      kind: 'string',
      valueName: 'FILE',
      required: true,
      description:
        'the annotated NeMo JSONL (VALUE_TO_TEXT), ready for "steerlm sft train"; written as FILE.partial and renamed when done, so a killed run resumes',
    },
    'batch-size': { kind: 'integer', min: 1, default: 64, description: 'responses scored at once' },
  },
  async run(values, _positionals, context) {
    // Checked before the model loads: a bad output path fails at once, not after the scoring.
    await checkAnnotationPaths(values.data, values.output);
    const predictor = await AttributePredictor.load(values.model);
    const engines = await useLiteEnginesOf(predictor.featurizer);
    if (engines.length > 0) context.note(`USE-lite runs on ${engines.join(', ')}`);
    const summary = await annotateNemoFile({
      scorer: predictor,
      data: values.data,
      output: values.output,
      batchSize: values['batch-size'],
      // The predictor allows concurrent calls: the next batch is prepared while the model runs the previous one.
      batchesInFlight: 2,
      onProgress: context.progress,
      signal: context.signal,
    });
    const resumed = summary.resumed > 0 ? ` (resumed after ${summary.resumed} records)` : '';
    context.note(`annotated ${summary.responses} responses in ${summary.records} records${resumed} → ${values.output}`);
    return { records: summary.records, responses: summary.responses, resumed: summary.resumed, output: values.output };
  },
});
