import { rm } from 'node:fs/promises';
import { nemoRecordToConversation, readNemoRecords, type AttributeScore, type AttributeScorer, type Conversation, type ProgressListener } from '@steerlm/core';
import { collectAttributeCombinations, topValueFilter, type BootstrapPrompt } from '@steerlm/bootstrap';
import { runBootstrap } from '@steerlm/bootstrap/node';
import { STEERBENCH_SCHEMA, STEERBENCH_SYSTEM_PROMPT, type SteerBenchPrompt } from '@steerlm/evaluators';
import type { LocalLanguageModel } from '@steerlm/sft';
import { BatchingLanguageModel } from './batching-language-model';

/** What the bootstrap round produced. */
export interface BootstrapRoundData {
  /** The re-annotated responses as labelled conversations. */
  readonly conversations: Conversation[];
  /** Distinct top-quality attribute combinations the prompts drew from. */
  readonly combinations: number;
  readonly elapsedMs: number;
}

/**
 * Returns a scorer that gives empty responses (which a half-trained model can produce, and which the
 * APM refuses) the bottom of every scale, and scores the others with `scorer`.
 */
export function scoreEmptyAsFloor(scorer: AttributeScorer): AttributeScorer {
  const floor: AttributeScore = {
    values: Object.fromEntries(scorer.schema.attributes.map((definition) => [definition.name, definition.min])),
    rounded: Object.fromEntries(scorer.schema.attributes.map((definition) => [definition.name, definition.min])),
  };
  return {
    specificationVersion: 'v1',
    schema: scorer.schema,
    async score(inputs) {
      const kept = inputs.map((input, index) => ({ input, index })).filter(({ input }) => input.response.trim() !== '');
      const scores = kept.length > 0 ? await scorer.score(kept.map(({ input }) => input)) : [];
      const result = inputs.map((): AttributeScore => floor);
      kept.forEach(({ index }, position) => {
        result[index] = scores[position]!;
      });
      return result;
    },
  };
}

/**
 * Runs one SteerLM bootstrap round (§3.4) through @steerlm/bootstrap: each prompt is answered by the
 * conditioned model under a top-quality attribute combination drawn from the annotated data, the APM
 * re-annotates the response, and the records land in `output` (NeMo JSONL). Returns them as conversations.
 */
export async function runBootstrapRound(options: {
  model: LocalLanguageModel;
  scorer: AttributeScorer;
  annotated: readonly Conversation[];
  prompts: readonly SteerBenchPrompt[];
  output: string;
  seed: number;
  temperature: number;
  batchSize: number;
  maxTokens: number;
  onEvent?: ProgressListener;
  signal?: AbortSignal;
}): Promise<BootstrapRoundData> {
  const combinations = await collectAttributeCombinations(options.annotated, { schema: STEERBENCH_SCHEMA, filter: topValueFilter('quality') });
  const prompts: BootstrapPrompt[] = options.prompts.map((prompt, index) => ({
    id: `bootstrap-${index}`,
    system: STEERBENCH_SYSTEM_PROMPT,
    turns: [{ role: 'user', text: prompt.question }],
  }));
  // A fresh file: the demo always regenerates (a resumed file would change the batches).
  await rm(options.output, { force: true });
  const model = new BatchingLanguageModel(options.model, { batchSize: options.batchSize, expectedRequests: prompts.length });
  const summary = await runBootstrap({
    prompts,
    combinations,
    model,
    scorer: scoreEmptyAsFloor(options.scorer),
    output: options.output,
    seed: options.seed,
    schema: STEERBENCH_SCHEMA,
    concurrency: options.batchSize,
    sampling: { temperature: options.temperature, topK: 50, maxTokens: options.maxTokens },
    ...(options.onEvent ? { onProgress: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const conversations: Conversation[] = [];
  for await (const { value } of readNemoRecords(options.output, { schema: STEERBENCH_SCHEMA }))
    conversations.push(nemoRecordToConversation(value, { schema: STEERBENCH_SCHEMA }));
  return { conversations, combinations: combinations.length, elapsedMs: summary.elapsedMs };
}
