import { checkStopStrings, InvalidOptionError, type GenerateOptions, type GenerateResult, type LanguageModel, type LogProbabilityResult } from '@steerlm/core';

/** One rule of a scripted model: when the prompt matches, the model answers `reply`. */
export interface ScriptedRule {
  /** A substring the prompt must contain, or a pattern it must match. */
  readonly when: string | RegExp;
  /** The answer, or a function of the prompt (and the pattern's match) returning it. */
  readonly reply: string | ((prompt: string, match: RegExpMatchArray | undefined) => string);
}

export interface ScriptedModelOptions {
  readonly rules: readonly ScriptedRule[];
  /** The answer when no rule matches (default: an error is thrown). */
  readonly fallback?: string;
  readonly modelId?: string;
}

/**
 * A deterministic LanguageModel that answers by rule (e.g. a judge that prefers the longer
 * response). It puts all probability on its one answer: logProbability is 0 for that answer and
 * -Infinity for anything else; one character counts as one token.
 */
export class ScriptedModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly modelId: string;
  readonly #rules: readonly ScriptedRule[];
  readonly #fallback: string | undefined;

  constructor(options: ScriptedModelOptions) {
    if (!Array.isArray(options.rules)) throw new InvalidOptionError('rules must be an array of { when, reply }', { option: 'rules' });
    this.#rules = options.rules;
    this.#fallback = options.fallback;
    this.modelId = options.modelId ?? 'scripted';
  }

  /** Returns the full answer the rules give for `prompt`. */
  answer(prompt: string): string {
    for (const rule of this.#rules) {
      if (typeof rule.when === 'string' ? prompt.includes(rule.when) : rule.when.test(prompt)) {
        const match = typeof rule.when === 'string' ? undefined : (prompt.match(rule.when) ?? undefined);
        return typeof rule.reply === 'string' ? rule.reply : rule.reply(prompt, match);
      }
    }
    if (this.#fallback !== undefined) return this.#fallback;
    throw new InvalidOptionError(`no rule of scripted model "${this.modelId}" matches the prompt ${JSON.stringify(prompt.slice(-80))}`, {
      option: 'rules',
      hint: 'add a rule for this prompt or give a fallback answer',
    });
  }

  /** Returns the rule's answer cut at the first stop string and at maxTokens characters. */
  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    const full = this.answer(prompt);
    const check = checkStopStrings(full, options.stop ?? []);
    let text = check.stopped ? check.text : full;
    let finishReason: GenerateResult['finishReason'] = 'stop';
    const characters = Array.from(text);
    if (options.maxTokens !== undefined && characters.length > options.maxTokens) {
      text = characters.slice(0, options.maxTokens).join('');
      finishReason = 'length';
    }
    if (options.signal?.aborted) finishReason = 'abort';
    return { text, finishReason, usage: { promptTokens: Array.from(prompt).length, completionTokens: Array.from(text).length } };
  }

  /** Returns the answer in word-sized pieces. */
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncIterable<string> {
    const { text } = await this.generate(prompt, options);
    for (const piece of text.match(/\S+\s*|\s+/g) ?? []) yield piece;
  }

  /** Returns 0 when `continuation` is exactly the answer for `prompt`, else -Infinity. */
  async logProbability(prompt: string, continuation: string): Promise<LogProbabilityResult> {
    return { logProbability: continuation === this.answer(prompt) ? 0 : -Infinity, tokens: Array.from(continuation).length };
  }
}

/** Returns a deterministic rule-based LanguageModel (for judge tests). */
export function createScriptedModel(options: ScriptedModelOptions): ScriptedModel {
  return new ScriptedModel(options);
}
