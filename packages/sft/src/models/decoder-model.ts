import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from '../backend/ensure-backend';
import { InvalidOptionError, ModelFormatError, normalSamples, seededRandom } from '@steerlm/core';
import { HUB_MODEL_FILES, resolveModelSource, type HubDownloadOptions } from '@steerlm/core/node';
import { readFloat32 } from '../backend/read-tensor';
import type { ModelFamily } from '../families/model-family';
import { modelFamily } from '../families/registry';
import { readModelConfig, writeModelConfig, type ModelConfig } from '../io/hf-config';
import { SafetensorsCheckpoint, writeSafetensors, writeShardedSafetensors, type SafetensorsWriteEntry } from '../io/safetensors';
import { decoderHidden, decoderLogits, outputEmbedding, type ForwardInput, type ParameterSource } from './decoder-forward';
import { linear } from './model-ops';
import { loraTargets, peftTensorNames, resolveLoraConfig, type LoraAdapter, type LoraConfig } from './lora';
import { checkModelSize, type ModelSizeLimit } from './model-size';
import type { DecodeSession } from './decode-session';
import { TfjsDecodeSession } from './tfjs-decode-session';
import { canonicalParameterName, isIgnoredCheckpointTensor, parameterSpecs } from './parameter-specs';

/** Options of {@link DecoderModel.load}. */
export interface LoadOptions extends Pick<ModelSizeLimit, 'maxBytes'> {
  /** What NaN or Inf weights do: 'warn' (default, through `onWarning`), 'error' (a ModelFormatError) or 'ignore'. */
  nonFiniteWeights?: 'warn' | 'error' | 'ignore';
  /** Receives warnings (default: `process.emitWarning`). */
  onWarning?: (message: string) => void;
  /**
   * How a Hub id is fetched (see `downloadHubSnapshot` in @steerlm/core/node): progress listener, token,
   * endpoint, cache folder, offline; unset ones come from HF_TOKEN, HF_ENDPOINT, HF_HUB_CACHE, HF_HUB_OFFLINE.
   */
  hub?: Omit<HubDownloadOptions, 'files'>;
}

function defaultWarning(message: string): void {
  process.emitWarning(message, 'SteerLMWarning');
}

function countNonFinite(values: Float32Array): number {
  let count = 0;
  for (let index = 0; index < values.length; index++) if (!Number.isFinite(values[index]!)) count++;
  return count;
}

export interface SaveOptions {
  /** Stored dtype (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Split into shards of at most this many bytes (with model.safetensors.index.json). */
  maxShardBytes?: number;
}

/** A Llama- or GPT-2-family decoder whose parameters are tfjs variables under Hugging Face names. */
export class DecoderModel implements ParameterSource {
  readonly config: ModelConfig;
  readonly parameters: Map<string, tf.Variable>;
  readonly adapters = new Map<string, LoraAdapter>();
  loraConfig: Required<LoraConfig> | undefined;
  /** Enables training-only behaviour (LoRA dropout). */
  training = false;
  /** Seed of the next LoRA dropout mask; the trainer sets it per step so runs are reproducible. */
  dropoutSeed = 0;

  private constructor(config: ModelConfig, parameters: Map<string, tf.Variable>) {
    this.config = config;
    this.parameters = parameters;
  }

  /** Returns a new model of `config` with seeded random initial weights (GPT-2 style init). */
  static create(config: ModelConfig, options: { seed?: number } & Pick<ModelSizeLimit, 'maxBytes'> = {}): DecoderModel {
    checkModelSize(config, options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {});
    const random = seededRandom(options.seed ?? 0);
    const parameters = new Map<string, tf.Variable>();
    for (const spec of parameterSpecs(config)) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = spec.init.kind === 'normal' ? normalSamples(size, spec.init.std, random) : new Float32Array(size).fill(spec.init.kind === 'ones' ? 1 : 0);
      const initial = tf.tensor(values, spec.shape);
      parameters.set(spec.name, tf.variable(initial));
      initial.dispose();
    }
    return new DecoderModel(config, parameters);
  }

  /**
   * Returns the model stored in a Hugging Face folder (config.json + safetensors, single or sharded), or
   * named by a Hub id `org/name[@revision]` that is not a local path: its config.json, safetensors and
   * generation_config.json are downloaded into the Hugging Face cache first (HF_HOME / HF_HUB_CACHE,
   * shared with Python's huggingface_hub), or taken from it. The size is checked before any weight is read; NaN or Inf weights give a warning (or an error with
   * `nonFiniteWeights: 'error'`). On any failure every tensor made so far is freed. When no backend
   * was chosen yet, selectBackend's default choice is made first (see ensureBackend).
   */
  static async load(source: string, options: LoadOptions = {}): Promise<DecoderModel> {
    const folder = (await resolveModelSource(source, { ...options.hub, files: HUB_MODEL_FILES })).path;
    const config = await readModelConfig(folder);
    // No backend chosen yet: make the default choice rather than fail inside tfjs.
    await ensureBackend();
    checkModelSize(config, { source: folder, ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}) });
    const checkpoint = await SafetensorsCheckpoint.open(folder);
    const parameters = new Map<string, tf.Variable>();
    try {
      const expected = new Map(parameterSpecs(config).map((spec) => [spec.name, spec]));
      const nonFinite: string[] = [];
      for (const name of checkpoint.tensorNames()) {
        if (isIgnoredCheckpointTensor(name)) continue;
        const canonical = canonicalParameterName(config, name);
        const spec = expected.get(canonical);
        if (!spec) {
          if (canonical === 'lm_head.weight') continue; // tied output embedding stored anyway
          throw new ModelFormatError(`unexpected tensor "${name}" for a ${config.family} model`, {
            file: folder,
            field: name,
            hint: 'is config.json from the same model?',
          });
        }
        const shape = checkpoint.info(name).shape;
        if (shape.join('x') !== spec.shape.join('x')) {
          throw new ModelFormatError(`tensor "${name}" has shape [${shape.join(', ')}], expected [${spec.shape.join(', ')}]`, { file: folder, field: name });
        }
        const values = await checkpoint.readFloat32(name);
        const bad = countNonFinite(values);
        if (bad > 0) nonFinite.push(`${name} (${bad} of ${values.length})`);
        const loaded = tf.tensor(values, spec.shape);
        parameters.set(canonical, tf.variable(loaded));
        loaded.dispose();
      }
      const missing = [...expected.keys()].filter((name) => !parameters.has(name));
      if (missing.length > 0) {
        throw new ModelFormatError(`missing ${missing.length} tensor(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`, {
          file: folder,
        });
      }
      if (nonFinite.length > 0) {
        const message = `${nonFinite.length} tensor(s) hold NaN or Inf values: ${nonFinite.slice(0, 5).join(', ')}${nonFinite.length > 5 ? ', …' : ''}`;
        if (options.nonFiniteWeights === 'error') {
          throw new ModelFormatError(message, {
            file: folder,
            field: nonFinite[0]!.split(' ')[0]!,
            hint: 'the checkpoint is corrupt or diverged; load an earlier one',
          });
        }
        if (options.nonFiniteWeights !== 'ignore') (options.onWarning ?? defaultWarning)(`${folder}: ${message}; outputs will be NaN where they are used`);
      }
      return new DecoderModel(config, parameters);
    } catch (error) {
      for (const variable of parameters.values()) variable.dispose();
      throw error;
    } finally {
      await checkpoint.close();
    }
  }

  /** Writes config.json and the base weights to `folder` (adapters are saved apart by `saveLora`, or merged first). */
  async save(folder: string, options: SaveOptions = {}): Promise<void> {
    await mkdir(folder, { recursive: true });
    await writeModelConfig(folder, this.config);
    const entries: SafetensorsWriteEntry[] = [];
    for (const [name, variable] of this.parameters) {
      entries.push({ name, dtype: options.dtype ?? 'F32', shape: variable.shape, data: () => readFloat32(variable, 'the save') });
    }
    const metadata = { format: 'pt' };
    if (options.maxShardBytes !== undefined) await writeShardedSafetensors(folder, entries, { maxShardBytes: options.maxShardBytes, metadata });
    else await writeSafetensors(join(folder, 'model.safetensors'), entries, { metadata });
  }

  /**
   * Grows (or keeps) the vocabulary to `vocabSize` rows, e.g. after `ensureSpecialTokens` added the
   * SteerLM tokens to a pretrained tokenizer: new input and output embedding rows start at the mean
   * of the existing rows (a neutral start for new tokens), and the config's vocab_size follows.
   */
  resizeTokenEmbeddings(vocabSize: number): void {
    const current = this.config.vocabSize;
    if (!Number.isInteger(vocabSize) || vocabSize < current) {
      throw new InvalidOptionError(`the vocabulary can only grow: ${vocabSize} < ${current} rows`, { option: 'vocabSize' });
    }
    if (vocabSize === current) return;
    const names = [modelFamily(this.config).tokenEmbedding, 'lm_head.weight'];
    for (const name of names) {
      const variable = this.parameters.get(name);
      if (!variable) continue;
      const grown = tf.tidy(() => {
        const mean = tf.mean(variable, 0, true);
        return tf.concat([variable, tf.tile(mean, [vocabSize - current, 1])], 0);
      });
      this.parameters.set(name, tf.variable(grown, variable.trainable));
      grown.dispose();
      variable.dispose();
    }
    (this.config as { vocabSize: number }).vocabSize = vocabSize;
  }

  /** The model's family: its parameter names, default LoRA targets and cache layout. */
  get family(): ModelFamily {
    return modelFamily(this.config);
  }

  /** Returns the number of scalar parameters (base weights). */
  parameterCount(): number {
    let count = 0;
    for (const variable of this.parameters.values()) count += variable.size;
    return count;
  }

  get(name: string): tf.Tensor {
    const variable = this.parameters.get(name);
    if (!variable) throw new ModelFormatError(`the model has no parameter "${name}"`);
    return variable;
  }

  has(name: string): boolean {
    return this.parameters.has(name);
  }

  linear(name: string, x: tf.Tensor2D): tf.Tensor2D {
    const bias = this.parameters.get(`${name}.bias`) as tf.Tensor1D | undefined;
    const base = linear(x, this.get(`${name}.weight`) as tf.Tensor2D, bias);
    const adapter = this.adapters.get(name);
    if (!adapter) return base;
    const dropout = this.training ? (this.loraConfig?.dropout ?? 0) : 0;
    const input = dropout > 0 ? tf.dropout(x, dropout, undefined, this.dropoutSeed++) : x;
    const delta = tf.matMul(tf.matMul(input, adapter.a, false, true), adapter.b, false, true);
    return tf.add(base, tf.mul(delta, adapter.scale));
  }

  /** Returns logits [B*T, V] for `input`. */
  logits(input: ForwardInput): tf.Tensor2D {
    return decoderLogits(this.config, this, input);
  }

  /** Returns final hidden states [B*T, C] (e.g. the last token's, for a reward/attribute head). */
  hidden(input: ForwardInput): tf.Tensor2D {
    return decoderHidden(this.config, this, input);
  }

  /** Returns the output embedding [V, C]. */
  outputEmbedding(): tf.Tensor2D {
    return outputEmbedding(this.config, this);
  }

  /** Adds LoRA adapters on the target Linear layers and freezes the base weights; returns the adapted layer names. */
  addLora(config: LoraConfig, options: { seed?: number } = {}): string[] {
    if (modelFamily(this.config).defaultLoraTargets === null) {
      throw new InvalidOptionError('LoRA targets Linear layers; GPT-2 uses Conv1D — fine-tune it fully or use a Llama-family model', { option: 'lora' });
    }
    const resolved = resolveLoraConfig(config);
    const targets = loraTargets(this.parameters.keys(), resolved.targetModules);
    if (targets.length === 0) {
      throw new InvalidOptionError(`no Linear layer matches target modules ${resolved.targetModules.join(', ')}`, {
        option: 'lora.targetModules',
        hint: 'Llama layers: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj',
      });
    }
    const random = seededRandom(options.seed ?? 1);
    for (const layer of targets) {
      const [out, input] = this.get(`${layer}.weight`).shape as [number, number];
      const bound = 1 / Math.sqrt(input);
      const a = Float32Array.from({ length: resolved.rank * input }, () => (random() * 2 - 1) * bound);
      const [initialA, initialB] = [tf.tensor2d(a, [resolved.rank, input]), tf.zeros([out, resolved.rank])];
      this.adapters.set(layer, { a: tf.variable(initialA), b: tf.variable(initialB), scale: resolved.alpha / resolved.rank });
      tf.dispose([initialA, initialB]);
    }
    this.loraConfig = resolved;
    for (const variable of this.parameters.values()) variable.trainable = false;
    return targets;
  }

  /** Returns the variables an optimizer should update (adapters when LoRA is on, else every parameter). */
  trainableVariables(): tf.Variable[] {
    if (this.adapters.size > 0) return [...this.adapters.values()].flatMap((adapter) => [adapter.a, adapter.b]);
    return [...this.parameters.values()].filter((variable) => variable.trainable);
  }

  /** Folds every adapter into its base weight (W += scale·B·A) and removes the adapters. */
  mergeLora(): void {
    for (const [layer, adapter] of this.adapters) {
      const weight = this.parameters.get(`${layer}.weight`)!;
      tf.tidy(() => weight.assign(tf.add(weight, tf.mul(tf.matMul(adapter.b, adapter.a), adapter.scale))));
      adapter.a.dispose();
      adapter.b.dispose();
    }
    this.adapters.clear();
    this.loraConfig = undefined;
    for (const variable of this.parameters.values()) variable.trainable = true;
  }

  /** Writes the adapters alone in PEFT's layout (adapter_config.json + adapter_model.safetensors). */
  async saveLora(folder: string): Promise<void> {
    if (!this.loraConfig) throw new InvalidOptionError('the model has no LoRA adapters to save', { option: 'lora' });
    await mkdir(folder, { recursive: true });
    const entries: SafetensorsWriteEntry[] = [];
    for (const [layer, adapter] of this.adapters) {
      const names = peftTensorNames(layer);
      entries.push({ name: names.a, dtype: 'F32', shape: adapter.a.shape, data: await readFloat32(adapter.a, 'the LoRA save') });
      entries.push({ name: names.b, dtype: 'F32', shape: adapter.b.shape, data: await readFloat32(adapter.b, 'the LoRA save') });
    }
    await writeSafetensors(join(folder, 'adapter_model.safetensors'), entries, { metadata: { format: 'pt' } });
    const { rank, alpha, dropout, targetModules } = this.loraConfig;
    const adapterConfig = {
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: rank,
      lora_alpha: alpha,
      lora_dropout: dropout,
      target_modules: targetModules,
      bias: 'none',
      fan_in_fan_out: false,
    };
    await writeFile(join(folder, 'adapter_config.json'), `${JSON.stringify(adapterConfig, null, 2)}\n`);
  }

  /** Loads adapters saved by `saveLora` (or PEFT) onto this model. */
  async loadLora(folder: string): Promise<void> {
    const raw = JSON.parse(await readFile(join(folder, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    const config: LoraConfig = {
      rank: Number(raw.r),
      alpha: Number(raw.lora_alpha),
      dropout: Number(raw.lora_dropout ?? 0),
      targetModules: (raw.target_modules as string[]) ?? [],
    };
    const targets = this.addLora(config);
    const checkpoint = await SafetensorsCheckpoint.open(join(folder, 'adapter_model.safetensors'));
    try {
      for (const layer of targets) {
        const names = peftTensorNames(layer);
        const adapter = this.adapters.get(layer)!;
        for (const [key, variable] of [
          [names.a, adapter.a],
          [names.b, adapter.b],
        ] as const) {
          const shape = checkpoint.info(key).shape;
          if (shape.join('x') !== variable.shape.join('x'))
            throw new ModelFormatError(`adapter tensor "${key}" has shape [${shape.join(', ')}], expected [${variable.shape.join(', ')}]`, { file: folder });
          const loaded = tf.tensor(await checkpoint.readFloat32(key), variable.shape);
          variable.assign(loaded);
          loaded.dispose();
        }
      }
    } finally {
      await checkpoint.close();
    }
  }

  /** Returns a new batched tfjs decode of this model (its own key/value cache), as `generateTokens` runs it. */
  startDecode(): DecodeSession {
    return new TfjsDecodeSession(this);
  }

  /** Frees every variable. */
  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
    for (const adapter of this.adapters.values()) {
      adapter.a.dispose();
      adapter.b.dispose();
    }
    this.adapters.clear();
  }
}
