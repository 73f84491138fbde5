import { readFile } from 'node:fs/promises';
import { AttributePredictor } from '@steerlm/attribute-regressor';
import { InvalidOptionError } from '@steerlm/core';
import { evaluateAttributeAdherence } from '@steerlm/evaluators';
import { writeEvaluationReport } from '@steerlm/evaluators/node';
import { defineCommand } from '../cli';
import { loadLanguageModel, parseAttributeOption, resolveModelSteering } from '../models';
import { formatTable } from '../output';
import { MODEL_OPTIONS, modelLoadOptions } from './model-options';

/** Returns the sweep of `--grid humor=0/2/4,toxicity`: names, each with its values or its whole range. */
function parseGrid(text: string): Record<string, number[] | undefined> {
  const grid: Record<string, number[] | undefined> = {};
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const [name = '', list] = item.split('=');
    const values = list?.split('/').map(Number);
    if (values?.some((value) => !Number.isInteger(value))) {
      throw new InvalidOptionError(`--grid item ${JSON.stringify(item)} has a non-integer value`, { option: 'grid', hint: 'write e.g. humor=0/2/4,toxicity' });
    }
    grid[name] = values;
  }
  if (Object.keys(grid).length === 0) throw new InvalidOptionError('--grid names no attribute', { option: 'grid', hint: 'write e.g. humor=0/2/4,toxicity' });
  return grid;
}

/** `steerlm eval`: how well a model follows requested attributes, measured by a scorer. */
export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'sweep requested attribute values and measure how well the model follows them (MAE, Spearman, exact match)',
  options: {
    model: MODEL_OPTIONS.model,
    backend: MODEL_OPTIONS.backend,
    engine: MODEL_OPTIONS.engine,
    schema: MODEL_OPTIONS.schema,
    scorer: { kind: 'string', valueName: 'DIR', required: true, description: 'an attribute predictor ("steerlm apm train") that measures the responses' },
    prompts: { kind: 'string', valueName: 'FILE', required: true, description: 'a text file of prompts, one per line' },
    grid: { kind: 'string', required: true, description: 'attributes to sweep, e.g. humor=0/2/4,toxicity (a bare name sweeps its whole range)' },
    samples: { kind: 'integer', min: 1, default: 1, description: 'responses per prompt and grid cell' },
    'max-tokens': { kind: 'integer', min: 1, default: 256, description: 'the most new tokens per response' },
    temperature: { kind: 'number', min: 0, default: 0.7, description: 'sampling temperature' },
    seed: { kind: 'integer', default: 0, description: 'seeds sampling' },
    concurrency: { kind: 'integer', min: 1, default: 1, description: 'generation requests at once' },
    guidance: {
      kind: 'number',
      valueName: 'S',
      description: 'attribute guidance for every response: logits = neutral + S·(conditioned − neutral) (1 = plain SteerLM)',
    },
    'guidance-neutral': {
      kind: 'string',
      valueName: 'LIST',
      description: 'the neutral label for --guidance, e.g. humor=0, put in place of the requested values (default: the prompt without the attribute line)',
    },
    output: { kind: 'string', valueName: 'DIR', description: 'write evaluation-report.json and .html here' },
  },
  async run(values, _positionals, context) {
    const prompts = (
      await readFile(values.prompts, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new InvalidOptionError(`cannot read --prompts ${values.prompts}: ${error.code ?? error.message}`, { option: 'prompts', cause: error });
      })
    )
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    if (prompts.length === 0) throw new InvalidOptionError(`${values.prompts} holds no prompt`, { option: 'prompts', hint: 'write one prompt per line' });
    const scorer = await AttributePredictor.load(values.scorer);
    const steering = await resolveModelSteering(values.model, values.schema, { onProgress: context.progress });
    const loaded = await loadLanguageModel(values.model, { onProgress: context.progress, ...modelLoadOptions(values) });
    context.note(`model ${loaded.model.modelId} · backend ${loaded.backend} · ${loaded.device} · engine ${loaded.engine}`);
    context.note(`schema ${steering.description}`);
    if (values['guidance-neutral'] !== undefined && values.guidance === undefined) {
      throw new InvalidOptionError('--guidance-neutral needs --guidance', { option: 'guidance-neutral', hint: 'add e.g. --guidance 2' });
    }
    const guidance =
      values.guidance === undefined
        ? undefined
        : {
            scale: values.guidance,
            ...(values['guidance-neutral'] !== undefined
              ? { neutral: parseAttributeOption(values['guidance-neutral'], steering.schema, 'guidance-neutral') }
              : {}),
          };
    if (guidance !== undefined) context.note(`guidance ${JSON.stringify(guidance)}`);
    const grid = parseGrid(values.grid);
    const definedGrid = Object.values(grid).every((list) => list !== undefined)
      ? (grid as Record<string, number[]>)
      : Object.fromEntries(
          Object.entries(grid).map(([name, list]) => {
            const definition = scorer.schema.get(name);
            if (!definition)
              throw new InvalidOptionError(`--grid attribute "${name}" is not in the scorer's schema`, {
                option: 'grid',
                hint: `known: ${scorer.schema.names.join(', ')}`,
              });
            return [name, list ?? Array.from({ length: definition.max - definition.min + 1 }, (_, index) => definition.min + index)];
          }),
        );
    const result = await evaluateAttributeAdherence({
      model: loaded.model,
      scorer,
      // The labels the model is conditioned on follow its own schema (a flag, its steerlm.json, else the scorer's).
      ...(steering.source !== 'default' ? { schema: steering.schema } : {}),
      template: steering.template,
      prompts,
      grid: definedGrid,
      samples: values.samples,
      concurrency: values.concurrency,
      generate: { maxTokens: values['max-tokens'], temperature: values.temperature, seed: values.seed },
      ...(guidance !== undefined ? { guidance } : {}),
      onProgress: context.progress,
      signal: context.signal,
    });
    if (result.skippedPrompts.length > 0) {
      context.note(
        `skipped ${result.skippedPrompts.length} of ${prompts.length} prompts beyond the model's context (lines ${result.skippedPrompts
          .map((index) => index + 1)
          .slice(0, 5)
          .join(', ')}${result.skippedPrompts.length > 5 ? ', …' : ''} of ${values.prompts})`,
      );
    }
    const rows = result.attributes.map((attribute) => ({
      attribute: attribute.attribute,
      samples: attribute.samples,
      mae: attribute.meanAbsoluteError,
      spearman: attribute.spearman,
      'exact match': attribute.exactMatchRate,
    }));
    let written: { jsonPath: string; htmlPath: string } | undefined;
    if (values.output !== undefined) {
      written = await writeEvaluationReport(
        {
          title: `Attribute adherence of ${loaded.model.modelId}`,
          createdAt: new Date().toISOString(),
          metadata: {
            model: loaded.model.modelId,
            backend: loaded.backend,
            prompts: prompts.length,
            samples: values.samples,
            seed: values.seed,
            ...(guidance !== undefined ? { guidance: JSON.stringify(guidance) } : {}),
          },
          adherence: result,
        },
        values.output,
      );
    }
    if (!context.json) {
      context.stdout.write(formatTable(rows));
      if (written) context.stdout.write(`report: ${written.htmlPath}\n`);
    }
    return {
      model: loaded.model.modelId,
      ...(guidance !== undefined ? { guidance } : {}),
      attributes: rows,
      skippedPrompts: result.skippedPrompts.length,
      ...(written ? { report: written } : {}),
    };
  },
});
