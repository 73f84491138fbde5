import * as tf from '@tensorflow/tfjs';
import {
  ContextLengthError,
  cutAtStop,
  guidedPrompts,
  InvalidOptionError,
  mixedPromptRows,
  steerlmTemplate,
  type GenerateOptions,
  type GenerateResult,
  type GuidedPromptOptions,
  type LanguageModel,
  type LogProbabilityResult,
  type Tokenizer,
} from '@steerlm/core';
import { readScalar } from '../backend/read-tensor';
import { isHostBackend } from '../kernels/runtime/host-backend';
import type { DecoderModel } from './decoder-model';
import { TokenBoundaries } from '../trainer/token-boundaries';
import { ContinuousBatcher, type ContinuousBatcherOptions } from './continuous-batcher';
import type { BatchingDecodeSession } from './decode-session';
import { generateTokens } from './generate-tokens';
import type { RowWeight } from './mix-logit-rows';
import { fitsInMemoryExport, loadOnnxruntime, OnnxruntimeDecoder, type OnnxruntimeDecoderOptions } from './onnxruntime-decoder';
import { TfjsDecodeSession } from './tfjs-decode-session';
import { scoreTokens, type ScoredToken, type ScoreTokensOptions } from './score-tokens';

const DEFAULT_MAX_TOKENS = 256;

/**
 * Returns whether the newest token completed a stop string: only the last tokens can hold one (earlier
 * steps checked the rest), and each token decodes to at least one character, so a tail of twice the
 * longest stop's length in tokens is enough — O(1) a token instead of decoding the whole output.
 */
function endsInStop(tokenizer: Tokenizer, produced: readonly number[], stops: readonly string[]): boolean {
  const longest = Math.max(1, ...stops.map((stop) => stop.length));
  return cutAtStop(tokenizer.decode(produced.slice(-2 * longest)), stops).stopped;
}

/** Throws a ContextLengthError when a prompt of `length` tokens leaves no position to generate from. */
function checkPromptFits(length: number, positions: number): void {
  if (length > positions) {
    throw new ContextLengthError(`the prompt is ${length} tokens, more than the model's ${positions} positions`, {
      tokens: length,
      positions,
      hint: 'shorten the prompt or the conversation',
    });
  }
}

/** The decoded rows of a batch: every prompt's rows (its `mixPrompts`, see mixedPromptRows) and its group of them. */
interface DecodeRows {
  readonly ids: number[][];
  /** The token count of each prompt itself (its usage), whether or not it is one of the rows. */
  readonly promptTokens: number[];
  /** Set only when some prompt mixes several rows (plain decoding otherwise). */
  readonly groups: RowWeight[][] | undefined;
}

/**
 * The decode engines of a {@link LocalLanguageModel}: `onnxruntime` runs our ONNX export of the model
 * on onnxruntime-node (Node only), `tfjs` the model's forward pass on the current tfjs backend, and
 * `auto` picks onnxruntime where the tfjs backend is a CPU one (cpu, wasm: on webgpu or tensorflow the
 * decode stays with the weights), onnxruntime loads, the model has no unmerged LoRA adapters and its
 * weights fit the in-memory export (1.5 GiB of float32), else tfjs.
 */
export const DECODE_ENGINES = Object.freeze(['auto', 'onnxruntime', 'tfjs'] as const);
/** One of {@link DECODE_ENGINES}. */
export type DecodeEngineName = (typeof DECODE_ENGINES)[number];

/** Options of a {@link LocalLanguageModel}. */
export interface LocalLanguageModelOptions {
  /** The id `LanguageModel.modelId` reports (default `local-<family>`). */
  modelId?: string;
  /** The decode engine of `generate`, `generateBatch`, `stream` and `steer` (default `auto`). */
  engine?: DecodeEngineName;
  /** Settings of the onnxruntime session. */
  onnxruntime?: OnnxruntimeDecoderOptions;
  /**
   * generate() and stream() calls made at the same time (a server's requests) join one running decode
   * batch at token boundaries instead of decoding one after another, on the resolved engine (onnxruntime
   * or tfjs). generateBatch() decodes its prompts in a batch of their own.
   */
  continuousBatching?: ContinuousBatcherOptions;
}

/**
 * A core `LanguageModel` over a local decoder and tokenizer (KV-cache decoding, batched). Decoding runs
 * on onnxruntime where available (the model is exported in memory on first use and again whenever its
 * weights change), else on tfjs; `logProbability` runs on tfjs.
 */
export class LocalLanguageModel implements LanguageModel {
  readonly specificationVersion = 'v1' as const;
  readonly modelId: string;
  readonly model: DecoderModel;
  readonly tokenizer: Tokenizer;
  /** The running decode batch that generate() and stream() calls join, when continuous batching is on. */
  readonly batcher: ContinuousBatcher | undefined;
  /** The engine asked for; {@link LocalLanguageModel.resolveEngine} says which one decodes. */
  readonly engine: DecodeEngineName;
  readonly #onnxruntimeOptions: OnnxruntimeDecoderOptions;
  #onnxruntime: Promise<OnnxruntimeDecoder> | undefined;

  constructor(model: DecoderModel, tokenizer: Tokenizer, options: LocalLanguageModelOptions = {}) {
    if (options.engine !== undefined && !DECODE_ENGINES.includes(options.engine)) {
      throw new InvalidOptionError(`unknown decode engine ${JSON.stringify(options.engine)}`, {
        option: 'engine',
        hint: `use one of: ${DECODE_ENGINES.join(', ')}`,
      });
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.modelId = options.modelId ?? `local-${model.config.family}`;
    this.engine = options.engine ?? 'auto';
    this.#onnxruntimeOptions = options.onnxruntime ?? {};
    // The batch asks for a new session whenever it starts from empty, so new weights take effect then.
    this.batcher = options.continuousBatching ? new ContinuousBatcher(() => this.#startDecode(), options.continuousBatching) : undefined;
  }

  /**
   * Resolves to the engine the next decode will use: `onnxruntime` or `tfjs`. Throws a BackendError
   * when `onnxruntime` was asked for and cannot load, and an InvalidOptionError when it was asked for
   * and the model has unmerged LoRA adapters.
   */
  async resolveEngine(): Promise<'onnxruntime' | 'tfjs'> {
    if (this.engine === 'tfjs') return 'tfjs';
    if (this.engine === 'auto') {
      // A GPU backend (webgpu, tensorflow) keeps decoding where the weights are; onnxruntime-node runs on the CPU.
      if (!isHostBackend() || this.model.adapters.size > 0 || !fitsInMemoryExport(this.model) || !(await loadOnnxruntime())) return 'tfjs';
    }
    return 'onnxruntime';
  }

  /**
   * Resolves to the engine the next decode will use, after making the onnxruntime export when that is
   * the engine and the current weights have none yet (so a server's first request does not wait for it).
   */
  async prepareEngine(): Promise<'onnxruntime' | 'tfjs'> {
    const engine = await this.resolveEngine();
    if (engine === 'onnxruntime') await this.#currentDecoder();
    return engine;
  }

  /** Resolves to a decode over the resolved engine, exporting the model again when its weights changed. */
  async #startDecode(): Promise<BatchingDecodeSession> {
    if ((await this.resolveEngine()) === 'tfjs') return new TfjsDecodeSession(this.model);
    for (;;) {
      const decoder = await this.#currentDecoder();
      // Another decode may have found new weights and retired this export meanwhile: take the new one.
      if (decoder.isCurrent(this.model)) return decoder.startDecode();
    }
  }

  /** Resolves to the onnxruntime decoder of the current weights, exported now if they have none. */
  async #currentDecoder(): Promise<OnnxruntimeDecoder> {
    // Concurrent decodes share one export: wait for the latest build, then check and replace it with no
    // await in between, so two callers never both export the same weights.
    let pending = this.#onnxruntime;
    let decoder = await pending?.catch(() => undefined);
    while (this.#onnxruntime !== pending) {
      pending = this.#onnxruntime;
      decoder = await pending?.catch(() => undefined);
    }
    if (!decoder?.isCurrent(this.model)) {
      decoder?.release();
      const building = OnnxruntimeDecoder.create(this.model, this.#onnxruntimeOptions);
      this.#onnxruntime = building;
      decoder = await building;
    }
    return decoder;
  }

  /** Frees the onnxruntime session (made again on the next decode). The decoder model stays the caller's. */
  async releaseEngine(): Promise<void> {
    const decoder = await this.#onnxruntime?.catch(() => undefined);
    this.#onnxruntime = undefined;
    decoder?.release();
  }

  /** Returns the token ids of every row of `prompts` with their `mixPrompts`, checked against the context. */
  #decodeRows(prompts: readonly string[], options: GenerateOptions): DecodeRows {
    const ids: number[][] = [];
    const promptTokens: number[] = [];
    const groups = prompts.map((prompt) => {
      const own = this.tokenizer.encode(prompt);
      promptTokens.push(own.length);
      return mixedPromptRows(prompt, options.mixPrompts).map(({ prompt: text, weight }) => {
        const encoded = text === prompt ? own : this.tokenizer.encode(text);
        checkPromptFits(encoded.length, this.model.config.maxPositionEmbeddings);
        ids.push(encoded);
        return { row: ids.length - 1, weight };
      });
    });
    return { ids, promptTokens, groups: ids.length > prompts.length ? groups : undefined };
  }

  /**
   * Returns one continuation per prompt, decoded together in one batch. `options.mixPrompts` (logit
   * guidance) needs a single prompt: its rows join the batch.
   */
  async generateBatch(prompts: readonly string[], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    const stops = options.stop ?? steerlmTemplate.stopStrings;
    if (prompts.length > 1 && (options.mixPrompts?.length ?? 0) > 0) {
      throw new InvalidOptionError(`mixPrompts belong to one prompt; generateBatch got ${prompts.length}`, {
        option: 'mixPrompts',
        hint: 'call generate() for each prompt with its own mixPrompts',
      });
    }
    const rows = this.#decodeRows(prompts, options);
    const tokens: number[][] = prompts.map(() => []);
    const stopped = prompts.map(() => false);
    const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
    for await (const step of generateTokens(await this.#startDecode(), rows.ids, {
      ...options,
      ...(rows.groups ? { groups: rows.groups } : {}),
      maxTokens,
      ...(this.tokenizer.eosTokenId !== undefined ? { stopTokenIds: [this.tokenizer.eosTokenId] } : {}),
      shouldStop: (row, produced) => {
        stopped[row] = endsInStop(this.tokenizer, produced, stops);
        return stopped[row]!;
      },
    })) {
      step.tokens.forEach((token, row) => {
        if (token !== undefined) tokens[row]!.push(token);
      });
    }
    return tokens.map((ids, row) => this.#result(ids, stopped[row]!, rows.promptTokens[row]!, stops, options.signal));
  }

  async generate(prompt: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    if (!this.batcher) return (await this.generateBatch([prompt], options))[0]!;
    const stops = options.stop ?? steerlmTemplate.stopStrings;
    let stopped = false;
    const ids: number[] = [];
    const rows = this.#decodeRows([prompt], options);
    for await (const token of this.#decode(rows, options, (produced) => (stopped = endsInStop(this.tokenizer, produced, stops)))) ids.push(token);
    return this.#result(ids, stopped, rows.promptTokens[0]!, stops, options.signal);
  }

  /** Returns the result of a continuation's token ids: the text cut at the stops, without EOS. */
  #result(ids: readonly number[], stopped: boolean, promptTokens: number, stops: readonly string[], signal: AbortSignal | undefined): GenerateResult {
    const eos = this.tokenizer.eosTokenId !== undefined && ids.at(-1) === this.tokenizer.eosTokenId;
    const text = cutAtStop(this.tokenizer.decode(eos ? ids.slice(0, -1) : ids), stops).text;
    const finishReason = signal?.aborted ? 'abort' : stopped || eos ? 'stop' : 'length';
    return { text, finishReason, usage: { promptTokens, completionTokens: ids.length } };
  }

  /**
   * Yields the new tokens of one prompt's rows (the prompt and its `mixPrompts`, EOS included): through
   * the running batch when continuous batching is on, else decoded alone.
   */
  async *#decode(rows: DecodeRows, options: GenerateOptions, shouldStop?: (produced: readonly number[]) => boolean): AsyncGenerator<number> {
    const settings = {
      ...options,
      maxTokens: options.maxTokens ?? DEFAULT_MAX_TOKENS,
      ...(this.tokenizer.eosTokenId !== undefined ? { stopTokenIds: [this.tokenizer.eosTokenId] } : {}),
    };
    if (this.batcher) {
      const weights = rows.groups?.[0]?.map((row) => row.weight) ?? [1];
      yield* this.batcher.generate({
        rows: rows.ids.map((ids, index) => ({ ids, weight: weights[index]! })),
        options: { ...settings, ...(shouldStop ? { shouldStop } : {}) },
      });
      return;
    }
    for await (const step of generateTokens(await this.#startDecode(), rows.ids, {
      ...settings,
      ...(rows.groups ? { groups: rows.groups } : {}),
      ...(shouldStop ? { shouldStop: (_row: number, produced: readonly number[]) => shouldStop(produced) } : {}),
    })) {
      const token = step.tokens[0];
      if (token === undefined) return;
      yield token;
    }
  }

  /**
   * Yields the continuation's text piece by piece, holding back text that may begin a stop string. The
   * generator returns (as its `done` value) the call's finish reason and token usage, as generate() gives
   * them (a server reports them in its last chunk).
   */
  async *stream(prompt: string, options: GenerateOptions = {}): AsyncGenerator<string, Omit<GenerateResult, 'text'>> {
    const stops = options.stop ?? steerlmTemplate.stopStrings;
    const ids: number[] = [];
    let emitted = 0;
    let consumed = 0;
    let stopped = false;
    let eos = false;
    const longestStop = Math.max(0, ...stops.map((stop) => stop.length));
    const rows = this.#decodeRows([prompt], options);
    for await (const token of this.#decode(rows, options)) {
      consumed++;
      if (token === this.tokenizer.eosTokenId) {
        eos = true;
        break;
      }
      ids.push(token);
      const cut = cutAtStop(this.tokenizer.decode(ids), stops);
      stopped = cut.stopped;
      // Hold back a tail that could still grow into a stop string (and an incomplete UTF-8 sequence).
      const safe = stopped ? cut.text.length : Math.max(emitted, cut.text.length - longestStop);
      const clean = cut.text.slice(0, safe).replace(/\uFFFD+$/, '');
      if (clean.length > emitted) {
        yield clean.slice(emitted);
        emitted = clean.length;
      }
      if (stopped) break;
    }
    if (!stopped) {
      const final = cutAtStop(this.tokenizer.decode(ids), stops).text;
      if (final.length > emitted) yield final.slice(emitted);
    }
    const finishReason = options.signal?.aborted ? 'abort' : stopped || eos ? 'stop' : 'length';
    return { finishReason, usage: { promptTokens: rows.promptTokens[0]!, completionTokens: consumed } };
  }

  async logProbability(prompt: string, continuation: string): Promise<LogProbabilityResult> {
    // The whole text is tokenized at once, as in training and generation (a SentencePiece tokenizer
    // gives `h|ell|o` inside the text, not the `▁hello` of the continuation encoded alone).
    const boundaries = new TokenBoundaries(this.tokenizer, prompt + continuation);
    const ids = boundaries.ids;
    const promptIds = ids.slice(0, Math.max(1, boundaries.at(prompt.length)));
    const continuationIds = ids.slice(promptIds.length);
    if (continuationIds.length === 0) return { logProbability: 0, tokens: 0 };
    const positions = this.model.config.maxPositionEmbeddings;
    if (ids.length - 1 > positions) {
      throw new ContextLengthError(`the prompt and continuation need ${ids.length - 1} positions, more than the model's ${positions}`, {
        tokens: ids.length - 1,
        positions,
        hint: 'shorten the prompt or the continuation',
      });
    }
    const picked = tf.tidy(() => {
      const input = tf.tensor2d([ids.slice(0, -1)], [1, ids.length - 1], 'int32');
      const logSoftmax = tf.logSoftmax(this.model.logits({ ids: input }));
      const rows = continuationIds.map((_, index) => promptIds.length - 1 + index);
      return tf.sum(tf.mul(tf.gather(logSoftmax, rows), tf.oneHot(tf.tensor1d(continuationIds, 'int32'), logSoftmax.shape[1])));
    });
    let total: number;
    try {
      total = await readScalar(picked, 'logProbability');
    } finally {
      picked.dispose();
    }
    return { logProbability: total, tokens: continuationIds.length };
  }

  /**
   * Returns every token of `text` with its log-probability given the tokens before it (null for the
   * first) and, with `topLogprobs`, the most likely tokens at each position: one forward pass. The
   * log-probabilities of the tokens reaching past a prompt sum to `logProbability(prompt, rest)`.
   */
  async scoreTokens(text: string, options: ScoreTokensOptions = {}): Promise<ScoredToken[]> {
    return scoreTokens(this.model, this.tokenizer, text, options);
  }

  /**
   * Returns a steered response: the prompt goes through `conditionPrompt` with the attributes (through
   * `guidedPrompts` when it has a guidance or fractional values), and the newline that ends a turn in the
   * template (before the stop string) is removed from the text.
   */
  async steer(request: GuidedPromptOptions, options: GenerateOptions = {}): Promise<GenerateResult> {
    const template = request.template ?? steerlmTemplate;
    const guided = guidedPrompts(request);
    const result = await this.generate(guided.prompt, { stop: template.stopStrings, ...options, mixPrompts: guided.mixPrompts });
    return result.finishReason === 'stop' ? { ...result, text: result.text.replace(/\n$/, '') } : result;
  }
}
