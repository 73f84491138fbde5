import {
  conditionPrompt,
  conversationToNemoRecord,
  formatAttributes,
  mapWithConcurrency,
  ProgressTracker,
  type AttributeSchema,
  type AttributeScorer,
  type AttributeValues,
  type GenerateOptions,
  type LanguageModel,
  type NemoRecord,
  type ProgressListener,
} from '@steerlm/core';
import { openResumableJsonlWriter } from '@steerlm/core/node';
import { pickCombination } from './attribute-combinations';
import { bootstrapRecordKey } from './bootstrap-record-key';
import { checkPrompts, type BootstrapPrompt } from './bootstrap-prompt';
import { checkCount } from './check-count';
import { checkLongPromptPolicy, fitPrompt, type LongPromptPolicy, type LongPromptTally } from './fit-prompt';
import { BOOTSTRAP_STOP_STRINGS, responseText, sampleOptions } from './sampling-defaults';
import { deriveSeed } from './seeded-random';
import { InOrderWrites } from './in-order-writes';

/** A VALUE_TO_TEXT NeMo record of one bootstrapped sample, keyed by prompt id and sample index. */
export { bootstrapRecordKey } from './bootstrap-record-key';

export interface BootstrapRecord extends NemoRecord {
  readonly prompt_id: string;
  readonly sample_index: number;
  /** The attribute string the response was generated under (its label is the re-annotation). */
  readonly requested_label: string;
}

export interface BootstrapOptions {
  readonly prompts: readonly BootstrapPrompt[];
  /** The combinations to draw from (see collectAttributeCombinations). */
  readonly combinations: readonly AttributeValues[];
  /** The attribute-conditioned model that answers (local or createOpenAICompatibleModel). */
  readonly model: LanguageModel;
  /** Re-annotates every response; its rounded values become the record's label. */
  readonly scorer: AttributeScorer;
  /** The JSONL file records are appended to; an existing file is resumed. */
  readonly output: string;
  /** Responses per prompt (default 1). */
  readonly samplesPerPrompt?: number;
  /** Seeds the combination draws and each sample (default 0). */
  readonly seed?: number;
  /** Sampling settings (default top-k 50, temperature 1, 512 tokens); seeds are derived per sample. */
  readonly sampling?: Omit<GenerateOptions, 'seed' | 'signal'>;
  /** The schema of labels (default: the scorer's). */
  readonly schema?: AttributeSchema;
  /** Prompts processed at once (default 4). */
  readonly concurrency?: number;
  /** What to do with a prompt beyond the model's context (default `skip`: counted in the summary). */
  readonly longPrompts?: LongPromptPolicy;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

export interface BootstrapSummary {
  /** Records written by this run. */
  readonly written: number;
  /** Records found from an earlier run and kept. */
  readonly resumed: number;
  /** prompts × samplesPerPrompt. */
  readonly total: number;
  /** Prompts skipped because they do not fit the model's context (none are written; a rerun tries them again). */
  readonly skipped: number;
  /** Prompts cut from the left to fit (with `longPrompts: 'truncate-left'`). */
  readonly truncated: number;
  /** The ids of the skipped prompts. */
  readonly skippedPromptIds: readonly string[];
  /** Samples not written because the response was empty (nothing to score or train on; a rerun draws them again, with the same seeds). */
  readonly emptyResponses: number;
  readonly elapsedMs: number;
}

/**
 * Runs the SteerLM bootstrap (§3.4) and returns its summary: for each prompt, one combination drawn
 * uniformly (seeded by prompt id), `samplesPerPrompt` responses from `model` conditioned on it,
 * each re-annotated by `scorer` and appended as a VALUE_TO_TEXT NeMo record, in input order (prompt,
 * then sample) whatever order the concurrent answers finish in. Records already in `output` are kept,
 * so a killed run resumes without duplicates or gaps.
 */
export async function runBootstrap(options: BootstrapOptions): Promise<BootstrapSummary> {
  checkPrompts(options.prompts);
  const samplesPerPrompt = options.samplesPerPrompt ?? 1;
  const concurrency = options.concurrency ?? 4;
  const seed = options.seed ?? 0;
  checkCount('samplesPerPrompt', samplesPerPrompt, 1);
  checkCount('concurrency', concurrency, 1);
  checkCount('seed', seed, 0);
  const longPrompts = options.longPrompts ?? 'skip';
  checkLongPromptPolicy(longPrompts);
  const tally: LongPromptTally = { skipped: [], truncated: [] };
  const schema = options.schema ?? options.scorer.schema;
  const startedAt = performance.now();
  const writer = await openResumableJsonlWriter<BootstrapRecord>(options.output, { keyOf: bootstrapRecordKey });
  const total = options.prompts.length * samplesPerPrompt;
  const tracker = new ProgressTracker('bootstrap', { total: total - writer.resumed, unit: 'samples', listeners: [options.onProgress] });
  if (writer.repair.kind === 'truncated')
    tracker.emit({ type: 'warning', job: 'bootstrap', message: `dropped a torn last line (${writer.repair.bytes} bytes) left by an interrupted run` });
  let written = 0;
  let emptyResponses = 0;
  // Prompts are answered concurrently and finish in any order; their records are written in input order.
  const ordered = new InOrderWrites<{ record: BootstrapRecord; completionTokens: number }>(async ({ record, completionTokens }) => {
    await writer.write(record);
    written += 1;
    tracker.step(written, 1, { completionTokens });
  });
  try {
    await mapWithConcurrency(options.prompts, concurrency, async (prompt, promptIndex) => {
      const records: { record: BootstrapRecord; completionTokens: number }[] = [];
      try {
        await answerPrompt(prompt, records);
      } finally {
        await ordered.deliver(promptIndex, records);
      }
    });
  } finally {
    await writer.close();
  }

  /** Answers one prompt: its missing samples' records go to `records`. */
  async function answerPrompt(prompt: BootstrapPrompt, records: { record: BootstrapRecord; completionTokens: number }[]): Promise<void> {
    const missing = Array.from({ length: samplesPerPrompt }, (_, index) => index).filter(
      (index) => !writer.has(bootstrapRecordKey({ prompt_id: prompt.id, sample_index: index })),
    );
    if (missing.length === 0) return;
    const attributes = pickCombination(options.combinations, prompt.id, seed);
    const fitted = await fitPrompt(prompt, longPrompts, tally, async (tried) => {
      const text = conditionPrompt({ ...(tried.system !== undefined ? { system: tried.system } : {}), turns: tried.turns, attributes, schema });
      const responses = await Promise.all(
        missing.map((index) =>
          options.model.generate(text, sampleOptions(options.sampling, deriveSeed(seed, prompt.id, index), BOOTSTRAP_STOP_STRINGS, options.signal)),
        ),
      );
      options.signal?.throwIfAborted();
      const answered = responses.flatMap((response, position) => (responseText(response).trim() === '' ? [] : [position]));
      const scores = await options.scorer.score(
        answered.map((position) => ({
          ...(tried.system !== undefined ? { system: tried.system } : {}),
          context: tried.turns,
          response: responseText(responses[position]!),
        })),
      );
      return { responses, scores: new Map(answered.map((position, row) => [position, scores[row]!])) };
    });
    if (fitted === undefined) {
      if (tally.skipped.length === 1) {
        tracker.emit({
          type: 'warning',
          job: 'bootstrap',
          message: `prompt ${prompt.id} does not fit the model's context: skipped (later skips are counted in the summary; longPrompts: 'truncate-left' keeps them, cut from the left)`,
        });
      }
      return;
    }
    const { responses, scores } = fitted.result;
    const used = fitted.prompt;
    for (const [position, index] of missing.entries()) {
      const score = scores.get(position);
      if (score === undefined) {
        emptyResponses += 1;
        continue;
      }
      const record = conversationToNemoRecord(
        {
          ...(used.system !== undefined ? { system: used.system } : {}),
          turns: [...used.turns, { role: 'assistant', text: responseText(responses[position]!), attributes: score.rounded }],
        },
        { schema, type: 'VALUE_TO_TEXT' },
      );
      records.push({
        record: { ...record, prompt_id: prompt.id, sample_index: index, requested_label: formatAttributes(attributes, schema) },
        completionTokens: responses[position]!.usage.completionTokens,
      });
    }
  }
  const summary: BootstrapSummary = {
    written,
    resumed: writer.resumed,
    total,
    skipped: tally.skipped.length,
    truncated: tally.truncated.length,
    skippedPromptIds: tally.skipped,
    emptyResponses,
    elapsedMs: performance.now() - startedAt,
  };
  tracker.end({ ...summary });
  return summary;
}
