import {
  conditionPrompt,
  formatAttributes,
  mapWithConcurrency,
  ProgressTracker,
  steerlmTemplate,
  type AttributeSchema,
  type AttributeScorer,
  type AttributeValues,
  type GenerateOptions,
  type LanguageModel,
  type ProgressListener,
  type SteerLM2Record as CoreSteerLM2Record,
  type SteerLM2Response,
} from '@steerlm/core';
import { openResumableJsonlWriter } from '@steerlm/core/node';
import { attributeLogProbability, type AttributeProbabilityOptions } from './attribute-log-probability';
import { pickCombination } from './attribute-combinations';
import { checkPrompts, type BootstrapPrompt } from './bootstrap-prompt';
import { checkCount } from './check-count';
import { checkLongPromptPolicy, fitPrompt, type LongPromptPolicy, type LongPromptTally } from './fit-prompt';
import { BOOTSTRAP_STOP_STRINGS, responseText, sampleOptions } from './sampling-defaults';
import { deriveSeed } from './seeded-random';
import { InOrderWrites } from './in-order-writes';

/** The record layout (NeMo-Aligner's SteerLM2Dataset) is owned by core, which also reads and validates it. */
export type { SteerLM2Response } from '@steerlm/core';

/** A SteerLM 2.0 record as the bootstrap writes it: core's layout, keyed by `prompt_id` for resuming. */
export interface SteerLM2Record extends CoreSteerLM2Record {
  readonly label: string;
  readonly prompt_id: string;
}

export interface SteerLM2DataOptions {
  readonly prompts: readonly BootstrapPrompt[];
  readonly combinations: readonly AttributeValues[];
  /** Q'(y|a,x): the SteerLM model that samples the responses and scores them under the label. */
  readonly policy: LanguageModel;
  /** P(y|x): the model scoring responses to the unconditioned prompt (e.g. the SFT model; may be the policy). */
  readonly reference: LanguageModel;
  /** The attribute prediction model: continuous predictions on the schema's scale. */
  readonly scorer: AttributeScorer;
  readonly output: string;
  /** Responses per prompt (default 4). */
  readonly samplesPerPrompt?: number;
  readonly seed?: number;
  readonly sampling?: Omit<GenerateOptions, 'seed' | 'signal'>;
  readonly schema?: AttributeSchema;
  readonly concurrency?: number;
  /** The Beta mapping of predictions (default α = 24 r, β = 24 − α). */
  readonly attributeProbability?: AttributeProbabilityOptions;
  /**
   * Score `y + "\n<extra_id_1>"` (default true), the tokens NeMo-Aligner's SteerLM2Dataset trains on;
   * false scores the response text alone.
   */
  readonly scoreEndOfTurn?: boolean;
  /** What to do with a prompt beyond the model's context (default `skip`: counted in the summary). */
  readonly longPrompts?: LongPromptPolicy;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

export interface SteerLM2DataSummary {
  /** Records (prompts) written by this run. */
  readonly written: number;
  /** Records found from an earlier run and kept. */
  readonly resumed: number;
  readonly total: number;
  /** Prompts skipped because they do not fit the model's context. */
  readonly skipped: number;
  /** Prompts cut from the left to fit (with `longPrompts: 'truncate-left'`). */
  readonly truncated: number;
  readonly skippedPromptIds: readonly string[];
  /** Responses left out because they were empty (a prompt whose responses were all empty is not written). */
  readonly emptyResponses: number;
  readonly elapsedMs: number;
}

/**
 * Writes SteerLM 2.0 training data and returns its summary: for each prompt x, a combination a drawn
 * as in the bootstrap, n responses y ~ Q'(y|a,x), and per response log P(a|x,y) (Beta bins over the
 * scorer's predictions), log P(y|x) (reference model, unconditioned prompt) and log Q'(y|a,x)
 * (policy, conditioned prompt), one NeMo-Aligner SteerLM2 record per prompt, resumable by prompt id.
 */
export async function generateSteerLM2Data(options: SteerLM2DataOptions): Promise<SteerLM2DataSummary> {
  checkPrompts(options.prompts);
  const samplesPerPrompt = options.samplesPerPrompt ?? 4;
  const concurrency = options.concurrency ?? 4;
  const seed = options.seed ?? 0;
  checkCount('samplesPerPrompt', samplesPerPrompt, 1);
  checkCount('concurrency', concurrency, 1);
  checkCount('seed', seed, 0);
  const longPrompts = options.longPrompts ?? 'skip';
  checkLongPromptPolicy(longPrompts);
  const tally: LongPromptTally = { skipped: [], truncated: [] };
  const schema = options.schema ?? options.scorer.schema;
  const endOfTurn = (options.scoreEndOfTurn ?? true) ? `\n${steerlmTemplate.stopStrings[0]}` : '';
  const startedAt = performance.now();
  const writer = await openResumableJsonlWriter<SteerLM2Record>(options.output, { keyOf: (record) => record.prompt_id });
  const tracker = new ProgressTracker('steerlm2-data', { total: options.prompts.length - writer.resumed, unit: 'prompts', listeners: [options.onProgress] });
  if (writer.repair.kind === 'truncated')
    tracker.emit({ type: 'warning', job: 'steerlm2-data', message: `dropped a torn last line (${writer.repair.bytes} bytes) left by an interrupted run` });
  let written = 0;
  let emptyResponses = 0;
  // Prompts are answered concurrently and finish in any order; their records are written in input order.
  const ordered = new InOrderWrites<SteerLM2Record>(async (record) => {
    await writer.write(record);
    written += 1;
    tracker.step(written, 1, { responses: record.responses.length });
  });
  try {
    await mapWithConcurrency(options.prompts, concurrency, async (prompt, promptIndex) => {
      const records: SteerLM2Record[] = [];
      try {
        const record = await answerPrompt(prompt);
        if (record) records.push(record);
      } finally {
        await ordered.deliver(promptIndex, records);
      }
    });
  } finally {
    await writer.close();
  }

  /** Answers one prompt; resolves to its record, or undefined when it is written already, skipped or got only empty responses. */
  async function answerPrompt(prompt: BootstrapPrompt): Promise<SteerLM2Record | undefined> {
    if (writer.has(prompt.id)) return undefined;
    const attributes = pickCombination(options.combinations, prompt.id, seed);
    const fitted = await fitPrompt(prompt, longPrompts, tally, async (tried) => {
      // NeMo-Aligner's SteerLM2 prompt carries no labels on earlier assistant turns.
      const turns = tried.turns.map(({ role, text }) => ({ role, text }));
      const system = tried.system !== undefined ? { system: tried.system } : {};
      const conditioned = conditionPrompt({ ...system, turns, attributes, schema });
      const unconditioned = conditionPrompt({ ...system, turns, schema });
      const drawn = await Promise.all(
        Array.from({ length: samplesPerPrompt }, async (_, index) =>
          responseText(
            await options.policy.generate(
              conditioned,
              sampleOptions(options.sampling, deriveSeed(seed, prompt.id, index), BOOTSTRAP_STOP_STRINGS, options.signal),
            ),
          ),
        ),
      );
      options.signal?.throwIfAborted();
      const samples = drawn.filter((sample) => sample.trim() !== '');
      emptyResponses += drawn.length - samples.length;
      if (samples.length === 0) return { turns, responses: [] };
      const scores = await options.scorer.score(samples.map((sample) => ({ ...system, context: turns, response: sample })));
      const responses = await Promise.all(
        samples.map(async (sample, index): Promise<SteerLM2Response> => {
          const [reference, policy] = await Promise.all([
            options.reference.logProbability(unconditioned, sample + endOfTurn),
            options.policy.logProbability(conditioned, sample + endOfTurn),
          ]);
          return {
            from: 'Assistant',
            value: sample,
            'log(P(a|x,y))': attributeLogProbability(scores[index]!.values, attributes, schema, options.attributeProbability),
            'log(P(y|x))': reference.logProbability,
            'log(Q(y|a,x))': policy.logProbability,
          };
        }),
      );
      return { turns, responses };
    });
    if (fitted === undefined) return undefined;
    const { turns, responses } = fitted.result;
    if (responses.length === 0) return undefined;
    const used = fitted.prompt;
    return {
      system: used.system ?? steerlmTemplate.defaultSystem,
      prompt_turns: turns.map(({ role, text }) => ({ from: role === 'user' ? 'User' : 'Assistant', value: text })),
      label: formatAttributes(attributes, schema),
      responses,
      prompt_id: prompt.id,
    };
  }
  const summary: SteerLM2DataSummary = {
    written,
    resumed: writer.resumed,
    total: options.prompts.length,
    skipped: tally.skipped.length,
    truncated: tally.truncated.length,
    skippedPromptIds: tally.skipped,
    emptyResponses,
    elapsedMs: performance.now() - startedAt,
  };
  tracker.end({ ...summary });
  return summary;
}
