import { InvalidOptionError } from '@steerlm/core';
import { AttributePredictor } from '@steerlm/attribute-regressor';
import { defineCommand } from '../cli';
import { PREDICTOR_OPTION } from './model-options';
import { formatTable } from '../output';
import { baselineErrors } from './apm-baselines';
import { readLabelledResponses } from './labelled-responses';

/** `steerlm apm eval`: how close an attribute prediction model comes to held-out labels. */
export const apmEvalCommand = defineCommand({
  name: 'apm eval',
  summary:
    'measure an attribute prediction model on labelled responses: MAE of its bins (and of its continuous values) and exact-bin accuracy per attribute, beside a constant and a length baseline',
  options: {
    ...PREDICTOR_OPTION,
    data: { kind: 'string', valueName: 'FILE', required: true, description: 'NeMo SteerLM JSONL with labelled assistant turns' },
  },
  async run(values, _positionals, context) {
    const predictor = await AttributePredictor.load(values.model);
    const responses = (await readLabelledResponses(values.data, predictor.schema)).filter((response) => response.labels !== undefined);
    if (responses.length === 0) throw new InvalidOptionError(`${values.data} has no labelled assistant turns`, { option: 'data' });
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
      const baseline = baselineErrors(labels, lengths, definition);
      return [
        {
          attribute: name,
          labelled: count,
          mae: absoluteError / count,
          'mae values': continuousError / count,
          'exact bin': exact / count,
          'mae constant': baseline.constant,
          'mae length': baseline.length,
        },
      ];
    });
    const beaten = rows.filter((row) => row.mae >= Math.min(row['mae constant'], row['mae length']));
    if (beaten.length > 0) {
      context.note(
        `warning: on ${beaten.map((row) => row.attribute).join(', ')} the model does not beat a constant or response length (baselines fit on these labels); try another --featurizer in "steerlm apm train"`,
      );
    }
    if (!context.json) context.stdout.write(formatTable(rows));
    return { responses: responses.length, attributes: rows };
  },
});
