import { collectAttributeCombinations, promptsFromConversations, type LongPromptPolicy } from '@steerlm/bootstrap';
import { generateSteerLM2Data, runBootstrap } from '@steerlm/bootstrap/node';
import { AttributePredictor } from '@steerlm/attribute-regressor';
import { InvalidOptionError } from '@steerlm/core';
import { defineCommand } from '../cli';
import { isFolderlessModel, loadLanguageModel, readSteeringSettings, resolveModelFolder } from '../models';
import { formatTable } from '../output';
import { MODEL_OPTIONS, modelLoadOptions } from './model-options';
import { readConversations } from './read-conversations';

/** `steerlm bootstrap`: the SteerLM bootstrap (§3.4), resumable. */
export const bootstrapCommand = defineCommand({
  name: 'bootstrap',
  summary: 'generate responses under sampled attribute combinations and re-annotate them (SteerLM §3.4); resumes',
  options: {
    model: MODEL_OPTIONS.model,
    backend: MODEL_OPTIONS.backend,
    engine: MODEL_OPTIONS.engine,
    scorer: { kind: 'string', valueName: 'DIR', required: true, description: 'an attribute predictor ("steerlm apm train") that re-annotates each response' },
    data: {
      kind: 'string',
      valueName: 'FILE',
      required: true,
      description: 'annotated NeMo JSONL: its prompts, and its top-quality label combinations to draw from',
    },
    output: { kind: 'string', valueName: 'FILE', required: true, description: 'the JSONL records are appended to; an existing file is resumed' },
    samples: { kind: 'integer', min: 1, default: 1, description: 'responses per prompt' },
    'max-tokens': { kind: 'integer', min: 1, default: 512, description: 'the most new tokens per response' },
    temperature: { kind: 'number', min: 0, default: 1, description: 'sampling temperature' },
    concurrency: { kind: 'integer', min: 1, default: 4, description: 'prompts processed at once' },
    seed: { kind: 'integer', default: 0, description: 'seeds combination draws and sampling' },
    'long-prompts': {
      kind: 'string',
      choices: ['skip', 'truncate-left', 'fail'],
      default: 'skip',
      description: "prompts beyond the model's context: skip them (counted in the summary), cut them from the left (oldest turns first), or stop the run",
    },
    steerlm2: {
      kind: 'boolean',
      description:
        'write SteerLM 2.0 records instead (NeMo-Aligner layout: --samples responses per prompt with log P(a|x,y), log P(y|x), log Q(y|a,x)) for "steerlm sft train --objective steerlm2"',
    },
    reference: {
      kind: 'string',
      valueName: 'MODEL',
      description: 'with --steerlm2: the unconditioned model scoring log P(y|x), e.g. the SFT model: a folder or a Hub id (default: --model)',
    },
  },
  async run(values, _positionals, context) {
    const scorer = await AttributePredictor.load(values.scorer);
    const schema = scorer.schema;
    const conversations = await readConversations(values.data, schema);
    const combinations = await collectAttributeCombinations(conversations, { schema });
    if (combinations.length === 0) {
      const labelled = conversations
        .flatMap((conversation) => conversation.turns)
        .filter((turn) => turn.role === 'assistant' && turn.attributes !== undefined && Object.keys(turn.attributes).length > 0);
      if (labelled.length === 0) {
        throw new InvalidOptionError(`${values.data} has no labelled assistant turn to take attribute combinations from`, {
          option: 'data',
          hint: 'annotate the data first ("steerlm apm annotate") so assistant turns carry labels',
        });
      }
      const top = schema.get('quality')?.max;
      const best = Math.max(...labelled.map((turn) => turn.attributes?.['quality'] ?? Number.NEGATIVE_INFINITY));
      throw new InvalidOptionError(
        `${values.data} has ${labelled.length} labelled assistant turns, but none at the top quality (${top ?? 'the scale top'}); the highest is quality ${Number.isFinite(best) ? best : 'unlabelled'}`,
        {
          option: 'data',
          hint: 'the bootstrap draws its attribute combinations from top-quality responses (SteerLM §3.4): give data with some top-quality labels',
        },
      );
    }
    const recorded = isFolderlessModel(values.model)
      ? undefined
      : await readSteeringSettings((await resolveModelFolder(values.model, { onProgress: context.progress })).folder);
    if (recorded !== undefined && recorded.schema.names.join(',') !== schema.names.join(',')) {
      throw new InvalidOptionError(
        `the model was trained on the attributes ${recorded.schema.names.join(', ')} (its steerlm.json), but the scorer predicts ${schema.names.join(', ')}`,
        {
          option: 'scorer',
          hint: 'the bootstrap conditions the model on the scorer\'s labels: use a scorer trained on the model\'s schema ("steerlm apm train --schema …")',
        },
      );
    }
    const loaded = await loadLanguageModel(values.model, { onProgress: context.progress, ...modelLoadOptions(values) });
    context.note(`model ${loaded.model.modelId} · backend ${loaded.backend} · ${loaded.device} · engine ${loaded.engine}`);
    const prompts = promptsFromConversations(conversations);
    context.note(`${prompts.length} prompts × ${values.samples} samples, ${combinations.length} attribute combinations`);
    if (values.reference !== undefined && !values.steerlm2) throw new InvalidOptionError('--reference is used only with --steerlm2', { option: 'reference' });
    const common = {
      prompts,
      combinations,
      scorer,
      schema,
      output: values.output,
      samplesPerPrompt: values.samples,
      seed: values.seed,
      concurrency: values.concurrency,
      sampling: { maxTokens: values['max-tokens'], temperature: values.temperature },
      longPrompts: values['long-prompts'] as LongPromptPolicy,
      onProgress: context.progress,
      signal: context.signal,
    };
    let summary;
    if (values.steerlm2) {
      if (values.samples < 2)
        throw new InvalidOptionError('--steerlm2 weighs several responses per prompt: give --samples 2 or more', {
          option: 'samples',
          hint: 'NeMo-Aligner samples 4 or more per prompt',
        });
      const reference =
        values.reference === undefined ? loaded : await loadLanguageModel(values.reference, { onProgress: context.progress, ...modelLoadOptions(values) });
      summary = await generateSteerLM2Data({ ...common, policy: loaded.model, reference: reference.model });
    } else {
      summary = await runBootstrap({ ...common, model: loaded.model });
    }
    if (summary.skipped > 0) {
      context.note(
        `skipped ${summary.skipped} prompt${summary.skipped === 1 ? '' : 's'} beyond the model's context (ids ${summary.skippedPromptIds.slice(0, 5).join(', ')}${summary.skipped > 5 ? ', …' : ''}): ` +
          'pass --long-prompts truncate-left to keep them cut from the left, or a smaller --max-tokens for a server that counts new tokens in the context',
      );
    }
    if (summary.emptyResponses > 0)
      context.note(`left out ${summary.emptyResponses} empty response${summary.emptyResponses === 1 ? '' : 's'} (nothing to score or train on)`);
    if (!context.json) {
      context.stdout.write(
        formatTable([
          {
            written: summary.written,
            resumed: summary.resumed,
            skipped: summary.skipped,
            truncated: summary.truncated,
            total: summary.total,
            seconds: summary.elapsedMs / 1000,
          },
        ]),
      );
      context.stdout.write(`${values.steerlm2 ? 'SteerLM 2.0 records' : 'records'}: ${values.output}\n`);
    }
    return { ...summary, output: values.output, ...(values.steerlm2 ? { steerlm2: true } : {}) };
  },
});
