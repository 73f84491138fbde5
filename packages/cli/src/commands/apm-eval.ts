import { InvalidOptionError } from '@steerlm/core';
import { AttributePredictor } from '@steerlm/attribute-regressor';
import { defineCommand } from '../cli';
import { formatTable } from '../output';
import { readLabelledResponses } from './labelled-responses';

/** `steerlm apm eval`: how close an attribute prediction model comes to held-out labels. */
export const apmEvalCommand = defineCommand({
  name: 'apm eval',
  summary: 'measure an attribute prediction model on labelled responses: MAE and exact-bin accuracy per attribute',
  options: {
    model: { kind: 'string', valueName: 'DIR', required: true, description: 'a predictor saved by "steerlm apm train"' },
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
      let exact = 0;
      responses.forEach((response, index) => {
        const label = response.labels![name];
        if (label === undefined) return;
        count += 1;
        absoluteError += Math.abs(scores[index]!.values[name]! - label);
        if (scores[index]!.rounded[name] === label) exact += 1;
      });
      return count === 0 ? [] : [{ attribute: name, labelled: count, mae: absoluteError / count, 'exact bin': exact / count }];
    });
    if (!context.json) context.stdout.write(formatTable(rows));
    return { responses: responses.length, attributes: rows };
  },
});
