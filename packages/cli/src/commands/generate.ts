import { conditionPrompt, formatAttributes } from '@steerlm/core';
import { defineCommand } from '../cli';
import { loadLanguageModel, parseAttributeOption, resolveModelSteering } from '../models';
import { MODEL_OPTIONS, modelLoadOptions } from './model-options';

/** `steerlm generate`: one steered answer, streamed to the terminal. */
export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'answer a prompt with a model steered by attribute values, streaming the text',
  positionals: [{ name: 'prompt', description: 'the user message to answer', required: true }],
  options: {
    ...MODEL_OPTIONS,
    attr: { kind: 'string', valueName: 'LIST', description: 'attribute values, e.g. humor=4,toxicity=0 (unset ones use the schema defaults)' },
    system: { kind: 'string', valueName: 'TEXT', description: "a system prompt (default: SteerLM's)" },
    'max-tokens': { kind: 'integer', min: 1, default: 256, description: 'the most new tokens' },
    temperature: { kind: 'number', min: 0, default: 0.7, description: 'sampling temperature (0 = greedy)' },
    'top-p': { kind: 'number', min: 0, description: 'nucleus sampling mass' },
    seed: { kind: 'integer', description: 'makes sampling reproducible' },
  },
  details: `Examples:
  steerlm generate --model runs/sft/final "Tell me a joke about cats." --attr humor=4,toxicity=0
  steerlm generate --model attribute-echo "Hi" --attr humor=2 --json`,
  async run(values, positionals, context) {
    const { schema, template, description } = await resolveModelSteering(values.model, values.schema);
    const requested = values.attr !== undefined ? parseAttributeOption(values.attr, schema) : {};
    const attributes = { ...schema.defaults(), ...requested };
    const prompt = conditionPrompt({
      prompt: positionals[0]!,
      attributes,
      schema,
      template,
      ...(values.system !== undefined ? { system: values.system } : {}),
    });
    const loaded = await loadLanguageModel(values.model, modelLoadOptions(values));
    context.note(`model ${loaded.model.modelId} · backend ${loaded.backend} · ${loaded.device} · engine ${loaded.engine}`);
    context.note(`schema ${description}`);
    context.note(`attributes ${formatAttributes(attributes, schema)}`);
    const options = {
      maxTokens: values['max-tokens'],
      temperature: values.temperature,
      stop: [...template.stopStrings],
      signal: context.signal,
      ...(values['top-p'] !== undefined ? { topP: values['top-p'] } : {}),
      ...(values.seed !== undefined ? { seed: values.seed } : {}),
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
    return { model: loaded.model.modelId, backend: loaded.backend, attributes, label: formatAttributes(attributes, schema), text, elapsedMs };
  },
});
