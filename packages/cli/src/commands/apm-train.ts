import { InvalidOptionError } from '@steerlm/core';
import { AttributePredictor, createFeaturizerByName, DEFAULT_FEATURIZER_NAME, FEATURIZER_NAMES, type TrainingReport } from '@steerlm/attribute-regressor';
import { defineCommand } from '../cli';
import { schemaByName, SCHEMA_NAMES } from '../models';
import { formatTable } from '../output';
import { writeTrainingBaselines } from './apm-baselines';
import { distinctLabelledResponses, readLabelledResponses, REPEATS_OPTION, repeatsNote } from './labelled-responses';

/** `steerlm apm train`: the attribute prediction model (SteerLM step 1). */
export const apmTrainCommand = defineCommand({
  name: 'apm train',
  summary: 'train an attribute prediction model on labelled responses (SteerLM step 1)',
  options: {
    data: { kind: 'string', valueName: 'FILE', required: true, description: 'NeMo SteerLM JSONL whose assistant turns carry labels' },
    output: { kind: 'string', valueName: 'DIR', required: true, description: 'where the predictor is saved' },
    schema: { kind: 'string', default: 'steerlm', choices: SCHEMA_NAMES, description: 'the attribute schema of the labels' },
    featurizer: {
      kind: 'string',
      default: DEFAULT_FEATURIZER_NAME,
      description: `features, parts joined with + (${FEATURIZER_NAMES.join(', ')}); hashed-ngrams+text-statistics annotates about 20× faster`,
    },
    'hidden-units': { kind: 'integer', min: 0, default: 0, description: 'hidden width of the head (0 = ridge regression)' },
    'validation-fraction': { kind: 'number', min: 0, default: 0.15, description: 'share of groups held out to pick hyperparameters' },
    'max-epochs': { kind: 'integer', min: 1, description: 'MLP heads: the most epochs' },
    seed: { kind: 'integer', default: 0, description: 'seeds the split and initialisation' },
    ...REPEATS_OPTION,
    'calibrate-bins': {
      kind: 'string',
      default: 'auto',
      choices: ['auto', 'all', 'off'],
      description:
        "bins fitted for MAE on held-out predictions, round(a + b · value): auto uses an attribute's map only where it lowers that MAE by more than the gain's standard error, all uses every map, off rounds the values",
    },
  },
  details: `Example:
  steerlm apm train --data oasst-labelled.jsonl --output runs/apm --schema oasst`,
  async run(values, _positionals, context) {
    const schema = schemaByName(values.schema);
    const labelled = (await readLabelledResponses(values.data, schema)).filter((response) => response.labels !== undefined);
    const { responses, repeats } = values.repeats === 'all' ? { responses: labelled, repeats: 0 } : distinctLabelledResponses(labelled);
    if (responses.length < 2) {
      throw new InvalidOptionError(`${values.data} has ${responses.length} labelled assistant turns; training needs at least 2`, {
        option: 'data',
        hint: 'give records whose assistant turns carry a label such as "quality:4,humor:1"',
      });
    }
    context.note(`data ${responses.length} labelled responses${repeatsNote(repeats)} · featurizer ${values.featurizer}`);
    const predictor = await AttributePredictor.train(
      responses.map((response) => ({ input: response.input, labels: response.labels!, group: response.group })),
      {
        schema,
        featurizer: createFeaturizerByName(values.featurizer),
        hiddenUnits: values['hidden-units'],
        validationFraction: values['validation-fraction'],
        seed: values.seed,
        calibrate: values['calibrate-bins'] === 'all' ? true : values['calibrate-bins'] === 'off' ? false : 'auto',
        ...(values['max-epochs'] !== undefined ? { maxEpochs: values['max-epochs'] } : {}),
        onProgress: context.progress,
        signal: context.signal,
      },
    );
    const saved = await predictor.save(values.output);
    // The constant and the length line fit on these labels, for `apm eval` to score held-out data against.
    await writeTrainingBaselines(
      saved,
      schema.names,
      responses.map((response) => ({ labels: response.labels!, responseCharacters: response.input.response.length })),
    );
    const report = (predictor.trainingReport ?? {}) as Partial<TrainingReport>;
    const calibration = report.calibration;
    if (calibration) {
      // Bins are calibrated for MAE on held-out predictions; slope 0 means the features lost to the constant there.
      const entries = Object.entries(calibration).filter(([, map]) => map.validationRows > 0);
      const constant = entries.filter(([, map]) => map.applied && map.slope === 0);
      const behind = entries.filter(([, map]) => !(map.applied && map.slope === 0) && !(map.validationMae < map.constantMae));
      const describe = (list: typeof entries) =>
        list.map(([name, map]) => `${name} (validation MAE ${map.validationMae.toFixed(3)}, constant ${map.constantMae.toFixed(3)})`).join(', ');
      if (constant.length > 0) {
        context.note(
          `warning: on ${describe(constant)} the model does not beat predicting the training median, so its bins there are that constant (calibration slope 0); try another --featurizer, or more data`,
        );
      }
      if (behind.length > 0) {
        context.note(
          `warning: on ${describe(behind)} the model's bins do not beat predicting the training median on the validation rows; try another --featurizer, or more data`,
        );
      }
    }
    if (
      typeof report.validationLoss === 'number' &&
      typeof report.constantValidationLoss === 'number' &&
      !(report.validationLoss < report.constantValidationLoss)
    ) {
      // Both are MSEs in standardised units on the validation rows; the constant is the training part's mean.
      context.note(
        `warning: validation loss ${report.validationLoss.toFixed(3)} does not beat predicting the training mean (${report.constantValidationLoss.toFixed(3)} on the same rows); try another --featurizer, or more data`,
      );
    }
    if (!context.json) {
      context.stdout.write(
        formatTable([
          {
            rows: report.rows,
            train: report.trainRows,
            validation: report.validationRows,
            'hidden units': report.hiddenUnits,
            'validation loss': report.validationLoss,
            'loss constant': report.constantValidationLoss,
          },
        ]),
      );
      if (calibration) {
        context.stdout.write(
          formatTable(
            Object.entries(calibration).map(([attribute, map]) => ({
              attribute,
              'validation mae': map.validationMae,
              'mae constant': map.constantMae,
              'mae uncalibrated': map.uncalibratedMae,
              calibrated: map.applied ? 'yes' : 'no',
              slope: map.slope,
            })),
          ),
        );
      }
      context.stdout.write(`predictor: ${saved}\n`);
    }
    return { output: saved, report };
  },
});
