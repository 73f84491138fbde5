import { guidedPrompts, InvalidOptionError, type AttributeGuidance, type AttributeSchema, type AttributeValues } from '@steerlm/core';
import { defineCommand } from '../cli';
import { loadLanguageModel, parseAttributeOption, resolveModelSteering } from '../models';
import { MODEL_OPTIONS, modelLoadOptions } from './model-options';

/** Returns `quality:4,humor:2.5,…`: the values in the schema's order (formatAttributes, fractional values allowed). */
function describeAttributes(values: AttributeValues, schema: AttributeSchema): string {
  return schema.names
    .filter((name) => values[name] !== undefined)
    .map((name) => `${name}:${values[name]}`)
    .join(',');
}

/** `steerlm generate`: one steered answer, streamed to the terminal. */
export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'answer a prompt with a model steered by attribute values, streaming the text',
  positionals: [{ name: 'prompt', description: 'the user message to answer', required: true }],
  options: {
    ...MODEL_OPTIONS,
    attr: {
      kind: 'string',
      valueName: 'LIST',
      description: 'attribute values, e.g. humor=4,toxicity=0 (unset ones use the schema defaults; humor=2.5 interpolates humor 2 and 3)',
    },
    guidance: {
      kind: 'number',
      valueName: 'S',
      description: 'steering strength: logits = neutral + S·(conditioned − neutral), both decoded in one batch (1 = plain SteerLM)',
    },
    'guidance-neutral': {
      kind: 'string',
      valueName: 'LIST',
      description: 'the neutral label for --guidance, e.g. humor=0, put in place of the requested values (default: the prompt without the attribute line)',
    },
    system: { kind: 'string', valueName: 'TEXT', description: "a system prompt (default: SteerLM's)" },
    'max-tokens': { kind: 'integer', min: 1, default: 256, description: 'the most new tokens' },
    temperature: { kind: 'number', min: 0, default: 0.7, description: 'sampling temperature (0 = greedy)' },
    'top-p': { kind: 'number', min: 0, description: 'nucleus sampling mass' },
    seed: { kind: 'integer', description: 'makes sampling reproducible' },
  },
  details: `Examples:
  steerlm generate --model runs/sft/final "Tell me a joke about cats." --attr humor=4,toxicity=0
  steerlm generate --model attribute-echo "Hi" --attr humor=2 --json
  steerlm generate --model runs/sft/final "Tell me a joke." --attr humor=4 --guidance 2 --guidance-neutral humor=0`,
  async run(values, positionals, context) {
    const { schema, template, description } = await resolveModelSteering(values.model, values.schema, { onProgress: context.progress });
    const requested = values.attr !== undefined ? parseAttributeOption(values.attr, schema) : {};
    const attributes = { ...schema.defaults(), ...requested };
    if (values['guidance-neutral'] !== undefined && values.guidance === undefined) {
      throw new InvalidOptionError('--guidance-neutral needs --guidance', { option: 'guidance-neutral', hint: 'add e.g. --guidance 2' });
    }
    const guidance: AttributeGuidance | undefined =
      values.guidance === undefined
        ? undefined
        : {
            scale: values.guidance,
            ...(values['guidance-neutral'] !== undefined ? { neutral: parseAttributeOption(values['guidance-neutral'], schema, 'guidance-neutral') } : {}),
          };
    const guided = guidedPrompts({
      prompt: positionals[0]!,
      attributes,
      schema,
      template,
      ...(values.system !== undefined ? { system: values.system } : {}),
      ...(guidance !== undefined ? { guidance } : {}),
    });
    const prompt = guided.prompt;
    const loaded = await loadLanguageModel(values.model, { onProgress: context.progress, ...modelLoadOptions(values) });
    context.note(`model ${loaded.model.modelId} · backend ${loaded.backend} · ${loaded.device} · engine ${loaded.engine}`);
    context.note(`schema ${description}`);
    context.note(`attributes ${describeAttributes(attributes, schema)}`);
    if (guided.rows.length > 1)
      context.note(`guidance: ${guided.rows.length} rows decoded together, weights ${guided.rows.map((row) => row.weight).join(', ')}`);
    const options = {
      maxTokens: values['max-tokens'],
      temperature: values.temperature,
      stop: [...template.stopStrings],
      signal: context.signal,
      ...(values['top-p'] !== undefined ? { topP: values['top-p'] } : {}),
      ...(values.seed !== undefined ? { seed: values.seed } : {}),
      ...(guided.mixPrompts.length > 0 ? { mixPrompts: guided.mixPrompts } : {}),
    };
    const started = performance.now();
    let text = '';
    if (loaded.model.stream) {
      for await (const piece of loaded.model.stream(prompt, options)) {
        text += piece;
        if (!context.json) context.stdout.write(piece);
      }
    } else {
      text = (await loaded.model.generate(prompt, options)).text;
      if (!context.json) context.stdout.write(text);
    }
    if (!context.json) context.stdout.write('\n');
    const elapsedMs = performance.now() - started;
    context.note(`(${(elapsedMs / 1000).toFixed(2)} s)`);
    return {
      model: loaded.model.modelId,
      backend: loaded.backend,
      attributes,
      label: describeAttributes(attributes, schema),
      ...(guidance !== undefined ? { guidance } : {}),
      text,
      elapsedMs,
    };
  },
});
