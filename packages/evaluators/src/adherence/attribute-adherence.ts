import {
  ContextLengthError,
  guidedPrompts,
  InvalidOptionError,
  mapWithConcurrency,
  ProgressTracker,
  steerlmTemplate,
  type AttributeGuidance,
  type AttributeSchema,
  type AttributeScorer,
  type AttributeValues,
  type ConversationTurn,
  type FinishReason,
  type GenerateOptions,
  type LanguageModel,
  type ProgressListener,
  type PromptTemplate,
} from '@steerlm/core';
import { mean, meanAbsoluteError, standardDeviation } from '../statistics/descriptive';
import { spearmanCorrelation } from '../statistics/rank-correlation';

/** A prompt to answer: a single user message, or a conversation ending with a user turn. */
export type AdherencePrompt = string | { readonly system?: string; readonly turns: readonly ConversationTurn[] };

export interface AdherenceOptions {
  /** The model under test; it continues prompts rendered with `template`. */
  readonly model: LanguageModel;
  /** Measures the responses (an attribute prediction model, or a ground-truth scorer). */
  readonly scorer: AttributeScorer;
  readonly prompts: readonly AdherencePrompt[];
  /**
   * The attributes to sweep, each over the listed values (or its whole range when given by name
   * alone); with several attributes every combination is generated.
   */
  readonly grid: readonly string[] | Readonly<Record<string, readonly number[]>>;
  /** Values of the attributes not swept (default: the schema's defaults). */
  readonly fixed?: Readonly<Record<string, number>>;
  /** The schema of the conditioning labels (default: the scorer's schema). */
  readonly schema?: AttributeSchema;
  /** The chat format the model was trained on (default: SteerLM's). */
  readonly template?: PromptTemplate;
  /** The system prompt (default: the template's). */
  readonly system?: string;
  /** Responses per prompt and grid cell (default 1); sample i uses seed `generate.seed + i` when a seed is set. */
  readonly samples?: number;
  /** Sampling settings; the template's stop strings are always added. */
  readonly generate?: Omit<GenerateOptions, 'signal' | 'mixPrompts'>;
  /**
   * Attribute guidance for every response (neutral + s·(conditioned − neutral), see `guidedPrompts`);
   * default: plain SteerLM. Sweeping the scale gives steering curves per strength.
   */
  readonly guidance?: AttributeGuidance;
  /** Generation requests at once (default 1: local models decode one at a time). */
  readonly concurrency?: number;
  /** Responses per scorer call (default 32). */
  readonly scoreBatchSize?: number;
  /** Compare requested values with the scorer's continuous values (default) or its rounded bins. */
  readonly measure?: 'values' | 'rounded';
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** One generated response with what was requested and what the scorer measured. */
export interface AdherenceSample {
  readonly prompt: number;
  readonly sample: number;
  /** The full conditioning label (swept and fixed values). */
  readonly requested: AttributeValues;
  readonly response: string;
  readonly finishReason: FinishReason;
  /** The scorer's measurement of each swept attribute. */
  readonly measured: Readonly<Record<string, number>>;
  /** The measurements rounded to bins. */
  readonly measuredRounded: Readonly<Record<string, number>>;
}

/** One point of a steering curve: the mean measured value at one requested value. */
export interface SteeringCurvePoint {
  readonly requested: number;
  readonly meanMeasured: number;
  readonly standardDeviation: number;
  readonly count: number;
}

/** How well one swept attribute follows the request. */
export interface AttributeAdherence {
  readonly attribute: string;
  readonly min: number;
  readonly max: number;
  readonly samples: number;
  /** Mean |requested − measured|. */
  readonly meanAbsoluteError: number;
  /** Spearman's ρ between requested and measured (null when either is constant). */
  readonly spearman: number | null;
  /** The share of responses whose rounded measurement equals the request. */
  readonly exactMatchRate: number;
  /** Mean measured value per requested value (marginal over the other swept attributes). */
  readonly curve: readonly SteeringCurvePoint[];
}

export interface AdherenceResult {
  readonly modelId: string;
  readonly grid: readonly { readonly attribute: string; readonly values: readonly number[] }[];
  readonly fixed: AttributeValues;
  readonly prompts: number;
  /** Indices of prompts the model could not take (a ContextLengthError): left out of every measure. */
  readonly skippedPrompts: readonly number[];
  readonly measure: 'values' | 'rounded';
  /** The attribute guidance the responses were generated with, when one was given. */
  readonly guidance?: AttributeGuidance;
  readonly attributes: readonly AttributeAdherence[];
  readonly samples: readonly AdherenceSample[];
}

function resolveGrid(grid: AdherenceOptions['grid'], schema: AttributeSchema, scorer: AttributeScorer): { attribute: string; values: number[] }[] {
  const entries: [string, readonly number[] | undefined][] = Array.isArray(grid)
    ? (grid as readonly string[]).map((name) => [name, undefined])
    : Object.entries(grid as Readonly<Record<string, readonly number[]>>);
  if (entries.length === 0) throw new InvalidOptionError('the grid needs at least one attribute to sweep', { option: 'grid' });
  return entries.map(([attribute, values]) => {
    const definition = schema.get(attribute);
    if (!definition) {
      throw new InvalidOptionError(`grid attribute "${attribute}" is not in the schema`, {
        option: 'grid',
        field: attribute,
        hint: `known attributes: ${schema.names.join(', ')}`,
      });
    }
    if (!scorer.schema.has(attribute)) {
      throw new InvalidOptionError(`the scorer does not measure "${attribute}"`, {
        option: 'scorer',
        field: attribute,
        hint: `it measures: ${scorer.schema.names.join(', ')}`,
      });
    }
    const chosen = values ?? Array.from({ length: definition.max - definition.min + 1 }, (_, index) => definition.min + index);
    if (chosen.length === 0) throw new InvalidOptionError(`grid attribute "${attribute}" has no values`, { option: 'grid', field: attribute });
    return { attribute, values: [...new Set(chosen)].sort((left, right) => left - right) };
  });
}

/** Returns the system prompt (the prompt's own, else the run's) and the turns of a prompt. */
function promptParts(prompt: AdherencePrompt, system: string | undefined): { system: string | undefined; turns: readonly ConversationTurn[] } {
  if (typeof prompt === 'string') return { system, turns: [{ role: 'user', text: prompt }] };
  return { system: prompt.system ?? system, turns: prompt.turns };
}

function cartesian(grid: readonly { attribute: string; values: readonly number[] }[]): Record<string, number>[] {
  let cells: Record<string, number>[] = [{}];
  for (const { attribute, values } of grid) cells = cells.flatMap((cell) => values.map((value) => ({ ...cell, [attribute]: value })));
  return cells;
}

/** Returns the per-attribute MAE, Spearman ρ, exact-match rate and steering curve of scored samples. */
export function summarizeAdherence(
  samples: readonly AdherenceSample[],
  grid: readonly { attribute: string; values: readonly number[] }[],
  schema: AttributeSchema,
): AttributeAdherence[] {
  return grid.map(({ attribute, values }) => {
    const definition = schema.get(attribute);
    if (!definition) throw new InvalidOptionError(`grid attribute "${attribute}" is not in the schema`, { option: 'grid', field: attribute });
    const requested = samples.map((sample) => sample.requested[attribute]!);
    const measured = samples.map((sample) => sample.measured[attribute]!);
    const exact = samples.filter((sample) => sample.measuredRounded[attribute] === sample.requested[attribute]).length;
    const curve = values.map((value) => {
      const group = samples.filter((sample) => sample.requested[attribute] === value).map((sample) => sample.measured[attribute]!);
      return { requested: value, meanMeasured: mean(group), standardDeviation: standardDeviation(group), count: group.length };
    });
    return {
      attribute,
      min: definition.min,
      max: definition.max,
      samples: samples.length,
      meanAbsoluteError: meanAbsoluteError(requested, measured),
      spearman: spearmanCorrelation(requested, measured),
      exactMatchRate: samples.length === 0 ? Number.NaN : exact / samples.length,
      curve,
    };
  });
}

/**
 * Returns how well `model` follows requested attribute values: it answers every prompt under every
 * grid cell (other attributes held fixed), the scorer re-measures each response, and each swept
 * attribute gets MAE, Spearman(requested, measured), exact-match rate and its steering curve.
 */
export async function evaluateAttributeAdherence(options: AdherenceOptions): Promise<AdherenceResult> {
  const schema = options.schema ?? options.scorer.schema;
  const template = options.template ?? steerlmTemplate;
  const measure = options.measure ?? 'values';
  const samplesPerCell = options.samples ?? 1;
  if (!Number.isSafeInteger(samplesPerCell) || samplesPerCell < 1)
    throw new InvalidOptionError(`samples must be an integer >= 1, got ${samplesPerCell}`, { option: 'samples' });
  if (options.prompts.length === 0) throw new InvalidOptionError('give at least one prompt', { option: 'prompts' });
  const grid = resolveGrid(options.grid, schema, options.scorer);
  const swept = new Set(grid.map((entry) => entry.attribute));
  const fixed: Record<string, number> = {};
  for (const [name, value] of Object.entries(options.fixed ?? schema.defaults())) if (!swept.has(name)) fixed[name] = value;

  const jobs = cartesian(grid).flatMap((cell) =>
    options.prompts.flatMap((prompt, promptIndex) =>
      Array.from({ length: samplesPerCell }, (_, sample) => ({
        prompt,
        promptIndex,
        sample,
        requested: Object.freeze({ ...fixed, ...cell }) as AttributeValues,
      })),
    ),
  );
  const tracker = new ProgressTracker('attribute-adherence', { total: jobs.length, unit: 'responses', listeners: [options.onProgress] });
  const stop = [...new Set([...(options.generate?.stop ?? []), ...template.stopStrings])];
  let done = 0;
  const skipped = new Set<number>();
  const answered = await mapWithConcurrency(jobs, options.concurrency ?? 1, async (job) => {
    const { system, turns } = promptParts(job.prompt, options.system);
    const guided = guidedPrompts({
      turns,
      ...(system !== undefined ? { system } : {}),
      attributes: job.requested,
      schema,
      template,
      ...(options.guidance !== undefined ? { guidance: options.guidance } : {}),
    });
    const text = guided.prompt;
    const seed = options.generate?.seed;
    let result;
    try {
      result = await options.model.generate(text, {
        ...options.generate,
        stop,
        ...(guided.mixPrompts.length > 0 ? { mixPrompts: guided.mixPrompts } : {}),
        ...(seed !== undefined ? { seed: seed + job.sample } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      // A prompt the model cannot take is left out (and reported), not fatal to the sweep.
      if (!ContextLengthError.isInstance(error)) throw error;
      if (!skipped.has(job.promptIndex)) {
        skipped.add(job.promptIndex);
        tracker.emit({
          type: 'warning',
          job: 'attribute-adherence',
          message: `prompt ${job.promptIndex + 1} does not fit the model's context: skipped (${error.message})`,
        });
      }
      result = undefined;
    }
    done += 1;
    tracker.step(done);
    return { job, result };
  });
  const generated = answered.filter((entry) => entry.result !== undefined && !skipped.has(entry.job.promptIndex)) as {
    job: (typeof jobs)[number];
    result: NonNullable<(typeof answered)[number]['result']>;
  }[];
  if (generated.length === 0) {
    throw new InvalidOptionError(`every one of the ${options.prompts.length} prompts is longer than the model's context`, {
      option: 'prompts',
      hint: 'give shorter prompts, or fewer new tokens (--max-tokens on the command line, maxTokens in the API)',
    });
  }

  const batchSize = options.scoreBatchSize ?? 32;
  const samples: AdherenceSample[] = [];
  for (let start = 0; start < generated.length; start += batchSize) {
    const batch = generated.slice(start, start + batchSize);
    const scores = await options.scorer.score(
      batch.map(({ job, result }) => {
        const { system, turns } = promptParts(job.prompt, options.system);
        return { ...(system !== undefined ? { system } : {}), context: turns, response: result.text };
      }),
    );
    batch.forEach(({ job, result }, index) => {
      const score = scores[index]!;
      const measured: Record<string, number> = {};
      const measuredRounded: Record<string, number> = {};
      for (const { attribute } of grid) {
        measuredRounded[attribute] = score.rounded[attribute]!;
        measured[attribute] = measure === 'values' ? score.values[attribute]! : score.rounded[attribute]!;
      }
      samples.push({
        prompt: job.promptIndex,
        sample: job.sample,
        requested: job.requested,
        response: result.text,
        finishReason: result.finishReason,
        measured,
        measuredRounded,
      });
    });
  }

  const attributes = summarizeAdherence(samples, grid, schema);
  tracker.end(Object.fromEntries(attributes.map((entry) => [`${entry.attribute}.mae`, entry.meanAbsoluteError])));
  return {
    modelId: options.model.modelId,
    grid,
    fixed: Object.freeze(fixed),
    prompts: options.prompts.length,
    skippedPrompts: [...skipped].sort((left, right) => left - right),
    measure,
    ...(options.guidance !== undefined ? { guidance: options.guidance } : {}),
    attributes,
    samples,
  };
}
