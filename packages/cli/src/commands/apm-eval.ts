import { InvalidOptionError } from '@steerlm/core';
import { AttributePredictor } from '@steerlm/attribute-regressor';
import { defineCommand } from '../cli';
import { PREDICTOR_OPTION } from './model-options';
import { formatTable } from '../output';
import { baselineErrors, readTrainingBaselines, scoreBaselines, TRAINING_BASELINES_FILE } from './apm-baselines';
import { distinctLabelledResponses, readLabelledResponses, REPEATS_OPTION, repeatsNote } from './labelled-responses';

/** `steerlm apm eval`: how close an attribute prediction model comes to held-out labels. */
export const apmEvalCommand = defineCommand({
  name: 'apm eval',
  summary:
    'measure an attribute prediction model on labelled responses: MAE of its bins (and of its continuous values) and exact-bin accuracy per attribute, beside a constant and a length baseline',
  options: {
    ...PREDICTOR_OPTION,
    data: { kind: 'string', valueName: 'FILE', required: true, description: 'NeMo SteerLM JSONL with labelled assistant turns' },
    ...REPEATS_OPTION,
  },
  async run(values, _positionals, context) {
    const predictor = await AttributePredictor.load(values.model);
    // The baselines `apm train` fit on the training labels (the fair bar); without them, those fit on these labels.
    const training = await readTrainingBaselines(values.model);
    if (training.problem) context.note(`warning: ${training.problem}; the baselines below are fit on these labels only`);
    const labelled = (await readLabelledResponses(values.data, predictor.schema)).filter((response) => response.labels !== undefined);
    if (labelled.length === 0) throw new InvalidOptionError(`${values.data} has no labelled assistant turns`, { option: 'data' });
    const { responses, repeats } = values.repeats === 'all' ? { responses: labelled, repeats: 0 } : distinctLabelledResponses(labelled);
    context.note(`data ${responses.length} labelled responses${repeatsNote(repeats)}`);
    const scores = await predictor.predict(responses.map((response) => response.input));
    const rows = predictor.schema.names.flatMap((name) => {
      let count = 0;
      let absoluteError = 0;
      let continuousError = 0;
      let exact = 0;
      const labels: number[] = [];
      const lengths: number[] = [];
      responses.forEach((response, index) => {
        const label = response.labels![name];
        if (label === undefined) return;
        count += 1;
        absoluteError += Math.abs(scores[index]!.rounded[name]! - label);
        continuousError += Math.abs(scores[index]!.values[name]! - label);
        if (scores[index]!.rounded[name] === label) exact += 1;
        labels.push(label);
        lengths.push(response.input.response.length);
      });
      if (count === 0) return [];
      const definition = predictor.schema.get(name)!;
      const here = baselineErrors(labels, lengths, definition);
      const fitted = training.baselines?.get(name);
      const trained = fitted ? scoreBaselines(fitted, labels, lengths, definition) : undefined;
      return [
        {
          attribute: name,
          labelled: count,
          mae: absoluteError / count,
          'mae values': continuousError / count,
          'exact bin': exact / count,
          // The training part's median and length line when apm train saved them, else those of these labels.
          'mae constant': trained?.constant ?? here.constant,
          'mae length': trained?.length ?? here.length,
          ...(training.baselines ? { 'constant fit here': here.constant, 'length fit here': here.length } : {}),
        },
      ];
    });
    const fair = training.baselines !== undefined;
    if (fair) {
      context.note(
        `baselines: "mae constant" and "mae length" are the training labels' median and length line (${TRAINING_BASELINES_FILE}); the "fit here" ones are fit on these labels (a stricter bar)`,
      );
    }
    const beaten = rows.filter((row) => row.mae >= Math.min(row['mae constant'], row['mae length']));
    if (beaten.length > 0) {
      const which = fair ? "the training labels' median or length line" : 'a constant or response length (baselines fit on these labels)';
      context.note(
        `warning: on ${beaten.map((row) => row.attribute).join(', ')} the model does not beat ${which}; try another --featurizer in "steerlm apm train"`,
      );
    }
    if (!context.json) context.stdout.write(formatTable(rows));
    return {
      responses: responses.length,
      repeats,
      baselinesFitOn: fair ? 'training labels' : 'these labels',
      ...(training.problem ? { baselinesProblem: training.problem } : {}),
      attributes: rows,
    };
  },
});
