import {
  clampToScale,
  InvalidOptionError,
  parseAttributes,
  STEERLM_TOKENS,
  steerlmTemplate,
  type AttributeSchema,
  type AttributeScore,
  type AttributeScorer,
  type LanguageModel,
  type ScoringInput,
} from '@steerlm/core';
import { assertScorable } from './featurizers/scoring-text';

const { label: LABEL, turn: TURN } = STEERLM_TOKENS;

export interface GenerativeAttributeScorerOptions {
  /** A decoder trained on the TEXT_TO_VALUE format (the paper's APM). */
  readonly model: LanguageModel;
  readonly schema: AttributeSchema;
  /** The most tokens of the attribute string (default 64). */
  readonly maxTokens?: number;
  /**
   * Attributes the model left out or garbled: left out of the score ('omit', default, so junk output
   * never earns labels), or filled with each attribute's schema default ('default').
   */
  readonly missing?: 'default' | 'omit';
  /** Called with each generation that did not parse cleanly (for logging). */
  readonly onUnparsed?: (text: string, input: ScoringInput) => void;
}

const pairPattern = /([a-z_]+)\s*:\s*(-?\d+(?:\.\d+)?)/g;

/**
 * Returns the attribute values in a generated label line: the strict parse when the line is a valid
 * attribute string, else every `name:number` pair of a known attribute (first one wins, values clamped
 * and rounded to the range) found in the text, ignoring junk around them.
 */
export function parseGeneratedAttributes(text: string, schema: AttributeSchema): { values: Record<string, number>; clean: boolean } {
  const line = text.split('\n')[0]!.trim();
  try {
    return { values: { ...parseAttributes(line, schema) }, clean: true };
  } catch {
    const values: Record<string, number> = {};
    pairPattern.lastIndex = 0;
    for (let match = pairPattern.exec(text); match !== null; match = pairPattern.exec(text)) {
      const definition = schema.get(match[1]!);
      if (!definition || values[definition.name] !== undefined) continue;
      values[definition.name] = clampToScale(Number(match[2]), definition);
    }
    return { values, clean: false };
  }
}

/**
 * Returns the prompt of the paper's attribute prediction model: the conversation with the response as
 * the last assistant turn in the SteerLM template, followed by `<extra_id_2>` (TEXT_TO_VALUE).
 */
export function attributePredictionPrompt(input: ScoringInput): string {
  const conversation = {
    ...(input.system !== undefined ? { system: input.system } : {}),
    turns: [...input.context.map((turn) => ({ role: turn.role, text: turn.text })), { role: 'assistant' as const, text: input.response }],
  };
  return `${steerlmTemplate.render(conversation)}${LABEL}`;
}

/**
 * SteerLM's original APM as an AttributeScorer over any LanguageModel: it greedily generates the
 * attribute string after `<extra_id_2>` and parses it, robust to junk (see parseGeneratedAttributes).
 */
export class GenerativeAttributeScorer implements AttributeScorer {
  readonly specificationVersion = 'v1' as const;
  readonly schema: AttributeSchema;
  readonly #options: GenerativeAttributeScorerOptions;
  /** Generations that did not parse cleanly so far. */
  unparsed = 0;

  constructor(options: GenerativeAttributeScorerOptions) {
    if (!options?.model || typeof options.model.generate !== 'function') throw new InvalidOptionError('model must be a LanguageModel', { option: 'model' });
    const maxTokens = options.maxTokens ?? 64;
    if (!Number.isSafeInteger(maxTokens) || maxTokens < 1)
      throw new InvalidOptionError(`maxTokens must be a positive integer, got ${maxTokens}`, { option: 'maxTokens' });
    this.schema = options.schema;
    this.#options = options;
  }

  /** Returns one score per input, in order: `values` as generated (clamped), `rounded` the same integers. */
  async score(inputs: readonly ScoringInput[]): Promise<AttributeScore[]> {
    inputs.forEach(assertScorable);
    const scores: AttributeScore[] = [];
    for (const input of inputs) {
      const result = await this.#options.model.generate(attributePredictionPrompt(input), {
        maxTokens: this.#options.maxTokens ?? 64,
        temperature: 0,
        stop: [TURN, '\n'],
      });
      const parsed = parseGeneratedAttributes(result.text, this.schema);
      const complete = this.schema.names.every((name) => parsed.values[name] !== undefined);
      if (!parsed.clean || !complete) {
        this.unparsed += 1;
        this.#options.onUnparsed?.(result.text, input);
      }
      const values: Record<string, number> = {};
      for (const definition of this.schema.attributes) {
        const value = parsed.values[definition.name] ?? ((this.#options.missing ?? 'omit') === 'default' ? definition.default : undefined);
        if (value !== undefined) values[definition.name] = value;
      }
      scores.push({ values: Object.freeze({ ...values }), rounded: Object.freeze({ ...values }) });
    }
    return scores;
  }
}
