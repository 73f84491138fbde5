/**
 * A steerable model running inside a web page: an exported model folder (config.json, tokenizer.json,
 * onnx/model.onnx and, when present, tokenizer_config.json, steerlm.json, onnx/model.onnx_data) decoded
 * by onnxruntime-web with the shared sampling loop of @steerlm/sft and the prompts of @steerlm/core.
 * Browser code: no Node imports.
 */
import {
  ContextLengthError,
  cutAtStop,
  guidedPrompts,
  ModelFormatError,
  STEERLM,
  steerlmTemplate,
  type AttributeSchema,
  type PromptTemplate,
  type WeightedPrompt,
} from '@steerlm/core';
import {
  decodeGeometryOfSession,
  generateTokens,
  OnnxruntimeDecodeSession,
  parseModelConfig,
  tokenizerFromJson,
  type DecodeGeometry,
  type OrtModule,
  type OrtSession,
  type TransformersTokenizer,
} from '@steerlm/sft/browser';
import { parseSteeringSettings, STEERING_SETTINGS_FILE } from '../../models/steering-settings';
import { recordTransfers, type DecodeTransfers } from './decode-transfers';

/** The onnxruntime-web execution providers the page tries, best first. */
export type InPageExecutionProvider = 'webgpu' | 'wasm';

/** A file of the picked model folder: its name (a relative path such as `onnx/model.onnx`, or a bare name) and its bytes. */
export interface ModelFolderFile {
  readonly name: string;
  bytes(): Promise<Uint8Array>;
}

/** One steered request: the user message, the attribute values (fractional ones interpolate), guidance and sampling. */
export interface InPageSteerRequest {
  readonly prompt: string;
  readonly attributes: Readonly<Record<string, number>>;
  /** The steering strength s (1, the default, is plain SteerLM). */
  readonly guidance?: number;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly seed?: number;
  readonly signal?: AbortSignal;
}

/** What a steered request has produced so far. */
export interface InPageSteerProgress {
  /** The text safe to show: cut at a stop string, holding back a tail that may still grow into one. */
  readonly text: string;
  /** The token ids sampled so far (EOS included when it ended the answer). */
  readonly tokens: readonly number[];
  readonly done: boolean;
  readonly finishReason?: 'stop' | 'length';
  /** On the last item: the prompts decoded and their logit weights (one row of weight 1 for plain SteerLM). */
  readonly rows?: readonly WeightedPrompt[];
  /** On the last item: where the decode ran, where its key/value cache lived, what it read back, and its speed. */
  readonly decode?: InPageDecodeReport;
}

/** How an in-page decode ran (the last {@link InPageSteerProgress} item's `decode`). */
export interface InPageDecodeReport extends DecodeTransfers {
  readonly executionProvider: InPageExecutionProvider;
  /** Seconds from the request to the first token (tokenizing, the prefill and the first sample). */
  readonly firstTokenSeconds: number;
  /** Seconds from the request to the last token. */
  readonly seconds: number;
  /** Tokens after the first per second after the first (the decode steps' speed; 0 with one token). */
  readonly decodeTokensPerSecond: number;
}

/** Options of {@link InPageModel.load}. */
export interface InPageModelLoadOptions {
  /** Execution providers to try in order (default: webgpu where `navigator.gpu` exists, then wasm). */
  readonly executionProviders?: readonly InPageExecutionProvider[];
  /** The folder onnxruntime-web's .wasm/.mjs files are served from (default: beside the page). */
  readonly wasmPaths?: string;
  /**
   * WebAssembly threads (default: up to 4, half the logical cores, where the page is cross-origin
   * isolated; 1 otherwise, the only choice there).
   */
  readonly threads?: number;
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** The files of a picked folder by role; throws a ModelFormatError naming the missing ones. */
function pickFiles(files: readonly ModelFolderFile[]): Record<string, ModelFolderFile | undefined> {
  const byName = new Map<string, ModelFolderFile>();
  // A folder pick gives paths (my-model/onnx/model.onnx); the first file of each name wins.
  for (const file of files) if (!byName.has(baseName(file.name))) byName.set(baseName(file.name), file);
  const roles = {
    config: byName.get('config.json'),
    tokenizer: byName.get('tokenizer.json'),
    tokenizerConfig: byName.get('tokenizer_config.json'),
    onnx: byName.get('model.onnx'),
    onnxData: byName.get('model.onnx_data'),
    steering: byName.get(STEERING_SETTINGS_FILE),
  };
  const missing = [
    ['config.json', roles.config],
    ['tokenizer.json', roles.tokenizer],
    ['onnx/model.onnx', roles.onnx],
  ].flatMap(([name, file]) => (file === undefined ? [name as string] : []));
  if (missing.length > 0) {
    throw new ModelFormatError(`the picked files lack ${missing.join(', ')}`, {
      hint: 'pick the folder "steerlm export --format onnx" wrote (or all its files: config.json, tokenizer.json, tokenizer_config.json, steerlm.json, onnx/model.onnx)',
    });
  }
  return roles;
}

async function readJson(file: ModelFolderFile): Promise<unknown> {
  const text = new TextDecoder().decode(await file.bytes());
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ModelFormatError(`${file.name} is not valid JSON (${(cause as Error).message})`, { file: file.name, cause });
  }
}

/** `preferredOutputLocation` for a `layers`-layer export: every key/value cache output (`present.{layer}.key|value`) as a GPU buffer. */
function cacheOutputsOnGpu(layers: number): Record<string, 'gpu-buffer'> {
  return Object.fromEntries(
    Array.from({ length: layers }, (_, layer) => ['key', 'value'].map((part) => [`present.${layer}.${part}`, 'gpu-buffer' as const])).flat(),
  );
}

/** An exported model folder loaded into onnxruntime-web in this page. */
export class InPageModel {
  readonly schema: AttributeSchema;
  readonly template: PromptTemplate;
  /** Where the schema came from: the folder's steerlm.json, or the steerlm default when it has none. */
  readonly schemaSource: 'steerlm.json' | 'default';
  /** The execution provider the session runs on. */
  readonly executionProvider: InPageExecutionProvider;
  readonly maxPositions: number;
  readonly tokenizer: TransformersTokenizer;
  readonly #ort: OrtModule;
  readonly #session: OrtSession;
  readonly #geometry: DecodeGeometry;

  private constructor(fields: {
    ort: OrtModule;
    session: OrtSession;
    geometry: DecodeGeometry;
    maxPositions: number;
    tokenizer: TransformersTokenizer;
    schema: AttributeSchema;
    template: PromptTemplate;
    schemaSource: 'steerlm.json' | 'default';
    executionProvider: InPageExecutionProvider;
  }) {
    this.#ort = fields.ort;
    this.#session = fields.session;
    this.#geometry = fields.geometry;
    this.maxPositions = fields.maxPositions;
    this.tokenizer = fields.tokenizer;
    this.schema = fields.schema;
    this.template = fields.template;
    this.schemaSource = fields.schemaSource;
    this.executionProvider = fields.executionProvider;
  }

  /**
   * Resolves to the model of the picked folder files, run by `ort` (onnxruntime-web). Throws a
   * ModelFormatError naming the file at fault when a file is missing or malformed.
   */
  static async load(ort: OrtModule, files: readonly ModelFolderFile[], options: InPageModelLoadOptions = {}): Promise<InPageModel> {
    const picked = pickFiles(files);
    const config = parseModelConfig(await readJson(picked.config!), picked.config!.name);
    const tokenizerConfig = picked.tokenizerConfig ? await readJson(picked.tokenizerConfig) : {};
    if (typeof tokenizerConfig !== 'object' || tokenizerConfig === null || Array.isArray(tokenizerConfig)) {
      throw new ModelFormatError('tokenizer_config.json must be a JSON object', { file: picked.tokenizerConfig!.name });
    }
    const tokenizer = await tokenizerFromJson(await readJson(picked.tokenizer!), tokenizerConfig as Record<string, unknown>, picked.tokenizer!.name);
    const steering = picked.steering ? parseSteeringSettings(new TextDecoder().decode(await picked.steering.bytes()), picked.steering.name) : undefined;
    // Set last: loading the tokenizer's library may point onnxruntime-web's wasm at a CDN; the page serves its own.
    ort.env.wasm.wasmPaths = options.wasmPaths ?? new URL('./', globalThis.location?.href).href;
    const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
    ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? (options.threads ?? Math.max(1, Math.min(4, Math.floor(cores / 2)))) : 1;
    const hasGpu = typeof globalThis.navigator !== 'undefined' && 'gpu' in globalThis.navigator;
    const providers = options.executionProviders ?? (hasGpu ? ['webgpu', 'wasm'] : ['wasm']);
    const model = await picked.onnx!.bytes();
    const externalData = picked.onnxData ? [{ path: 'model.onnx_data', data: await picked.onnxData.bytes() }] : undefined;
    const failures: string[] = [];
    for (const provider of providers) {
      try {
        // On WebGPU the key/value cache stays on the GPU: present.* come back as GPU buffers that the next step
        // is fed (OnnxruntimeDecodeSession disposes the previous ones); only the logits are read back.
        const cacheOnGpu = provider === 'webgpu' ? cacheOutputsOnGpu(config.numHiddenLayers) : undefined;
        const session = await ort.InferenceSession.create(model, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          ...(externalData ? { externalData } : {}),
          ...(cacheOnGpu ? { preferredOutputLocation: cacheOnGpu } : {}),
        });
        const geometry = decodeGeometryOfSession(session, picked.onnx!.name);
        const strayOutputs = cacheOnGpu ? session.outputNames.filter((name) => name.startsWith('present.') && !(name in cacheOnGpu)) : [];
        if (strayOutputs.length > 0) {
          await session.release();
          throw new ModelFormatError(
            `${picked.config!.name} says ${config.numHiddenLayers} layers but ${picked.onnx!.name} has a key/value cache of ${geometry.layers} (${strayOutputs.join(', ')} beyond them)`,
            { file: picked.onnx!.name, hint: 'pick the config.json exported with this model' },
          );
        }
        if (geometry.vocab < tokenizer.vocabSize) {
          throw new ModelFormatError(`the tokenizer has ids up to ${tokenizer.vocabSize - 1} but the model's logits have ${geometry.vocab}`, {
            file: picked.tokenizer!.name,
            hint: 'pick the tokenizer exported with this model',
          });
        }
        return new InPageModel({
          ort,
          session,
          geometry,
          maxPositions: config.maxPositionEmbeddings,
          tokenizer,
          schema: steering?.schema ?? STEERLM,
          template: steering?.template ?? steerlmTemplate,
          schemaSource: steering ? 'steerlm.json' : 'default',
          executionProvider: provider,
        });
      } catch (error) {
        if (error instanceof ModelFormatError) throw error;
        failures.push(`${provider}: ${(error as Error).message}`);
      }
    }
    throw new ModelFormatError(`onnxruntime-web could not load ${picked.onnx!.name} (${failures.join('; ')})`, { file: picked.onnx!.name });
  }

  /**
   * Yields the answer as it grows: the prompt goes through `guidedPrompts` (the template's
   * `conditionPrompt` with the attribute values, guidance rows decoded in the same batch) and the shared
   * sampling loop; the text is cut at the template's stop strings and loses the newline that ends a turn.
   */
  async *steer(request: InPageSteerRequest): AsyncGenerator<InPageSteerProgress> {
    const guidance = request.guidance ?? 1;
    const guided = guidedPrompts({
      prompt: request.prompt,
      attributes: request.attributes,
      schema: this.schema,
      template: this.template,
      ...(guidance !== 1 ? { guidance: { scale: guidance } } : {}),
    });
    const rows = guided.rows.map(({ prompt }) => this.tokenizer.encode(prompt));
    for (const row of rows) {
      if (row.length > this.maxPositions) {
        throw new ContextLengthError(`the prompt is ${row.length} tokens, more than the model's ${this.maxPositions} positions`, {
          tokens: row.length,
          positions: this.maxPositions,
          hint: 'shorten the prompt',
        });
      }
    }
    const started = performance.now();
    let firstTokenAt = started;
    const stops = this.template.stopStrings;
    const longestStop = Math.max(1, ...stops.map((stop) => stop.length));
    const eos = this.tokenizer.eosTokenId;
    const tokens: number[] = [];
    let stopped = false;
    const recorded = recordTransfers(this.#session);
    const session = new OnnxruntimeDecodeSession(this.#ort, recorded.session, { geometry: this.#geometry, maxPositions: this.maxPositions });
    for await (const step of generateTokens(session, rows, {
      maxTokens: request.maxTokens,
      temperature: request.temperature,
      ...(request.topP !== undefined ? { topP: request.topP } : {}),
      ...(request.topK !== undefined ? { topK: request.topK } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      ...(rows.length > 1 ? { groups: [guided.rows.map(({ weight }, row) => ({ row, weight }))] } : {}),
      ...(eos !== undefined ? { stopTokenIds: [eos] } : {}),
      // A stop string can only have been completed by the newest tokens (each decodes to at least one character).
      shouldStop: (_group, produced) => (stopped = cutAtStop(this.tokenizer.decode(produced.slice(-2 * longestStop)), stops).stopped),
    })) {
      const token = step.tokens[0];
      if (token === undefined) break;
      if (tokens.length === 0) firstTokenAt = performance.now();
      tokens.push(token);
      const { text } = cutAtStop(this.tokenizer.decode(tokens.at(-1) === eos ? tokens.slice(0, -1) : tokens), stops);
      // Hold back a tail that could still grow into a stop string, and an incomplete UTF-8 sequence.
      const shown = stopped ? text : text.slice(0, Math.max(0, text.length - longestStop)).replace(/\uFFFD+$/, '');
      yield { text: shown, tokens: [...tokens], done: false };
    }
    // generateTokens has ended and disposed its session: the report says whether any GPU tensor outlived it.
    const ended = stopped || (eos !== undefined && tokens.at(-1) === eos);
    const final = cutAtStop(this.tokenizer.decode(eos !== undefined && tokens.at(-1) === eos ? tokens.slice(0, -1) : tokens), stops).text;
    const finished = performance.now();
    const decode: InPageDecodeReport = {
      executionProvider: this.executionProvider,
      ...recorded.transfers(),
      firstTokenSeconds: (firstTokenAt - started) / 1000,
      seconds: (finished - started) / 1000,
      decodeTokensPerSecond: tokens.length > 1 && finished > firstTokenAt ? ((tokens.length - 1) * 1000) / (finished - firstTokenAt) : 0,
    };
    yield { text: ended ? final.replace(/\n$/, '') : final, tokens, done: true, finishReason: ended ? 'stop' : 'length', rows: guided.rows, decode };
  }

  /** Frees the onnxruntime-web session. */
  async release(): Promise<void> {
    await this.#session.release();
  }
}
