/**
 * A training run's optimizer steps on data-parallel worker threads (DataParallelTrainer) instead of
 * this thread: the model and Optimizer of this thread stay the run's record, brought up to date from
 * the workers' shared memory when the run needs them (validation, checkpoints, the end of the run);
 * a resumed run's restored weights and moments go to the workers before the first step.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import type { AdamWConfig } from '../kernels/adamw';
import { hostMatmulEngine } from '../kernels/host/mlas-ops';
import type { DecoderModel } from '../models';
import { DataParallelTrainer } from '../parallel/data-parallel-trainer';
import type { TrainingBatch } from './batching';
import type { Optimizer, StepOutcome } from './train-step';

/** The workers of one run, and the copies back into this thread's model and optimizer. */
export class DataParallelRun {
  private constructor(
    private readonly trainer: DataParallelTrainer,
    private readonly model: DecoderModel,
    private readonly optimizer: Optimizer,
  ) {}

  /**
   * Throws InvalidOptionError unless `workers` can train this run: data-parallel workers train every
   * weight in f32 on the cpu and wasm backends (not LoRA adapters, frozen embeddings or mixed precision).
   * Checked before the run starts, and again by start.
   */
  static check(workers: number, model: DecoderModel, options: { lora?: unknown; freezeEmbeddings?: boolean; mixedPrecision?: boolean }): void {
    const backend = tf.getBackend();
    if (backend !== 'cpu' && backend !== 'wasm') {
      throw new InvalidOptionError(`workers ${workers}: data-parallel workers train on the cpu and wasm backends, not ${backend}`, {
        option: 'workers',
        hint: 'drop workers (1) on this backend',
      });
    }
    if (options.lora || model.adapters.size > 0 || options.freezeEmbeddings || options.mixedPrecision) {
      throw new InvalidOptionError(
        `workers ${workers}: data-parallel workers train every weight in f32 (not LoRA adapters, frozen embeddings or mixed precision)`,
        {
          option: 'workers',
          hint: 'use workers 1 with lora, freezeEmbeddings or precision mixed',
        },
      );
    }
  }

  /**
   * Returns the run's workers, started from `model`'s weights and `optimizer`'s state (a restored
   * checkpoint's, or fresh); throws InvalidOptionError where they cannot train it (see check).
   */
  static async start(model: DecoderModel, optimizer: Optimizer, workers: number): Promise<DataParallelRun> {
    DataParallelRun.check(workers, model, {
      freezeEmbeddings: optimizer.trainable.names.length !== model.parameters.size,
      mixedPrecision: optimizer.mixedPrecision,
    });
    const backend = tf.getBackend() as 'cpu' | 'wasm';
    const parameters: Record<string, Float32Array> = {};
    for (const [name, variable] of model.parameters) parameters[name] = variable.dataSync() as Float32Array;
    const trainer = await DataParallelTrainer.start({ config: model.config, workers, backend, parameters, hostMatmul: hostMatmulEngine() });
    try {
      if (optimizer.state.step > 0) {
        const { names } = optimizer.trainable;
        const byName = (tensors: readonly tf.Tensor[]) => Object.fromEntries(names.map((name, index) => [name, tensors[index]!.dataSync() as Float32Array]));
        await trainer.loadState(parameters, {
          step: optimizer.state.step,
          firstMoments: byName(optimizer.state.firstMoments),
          secondMoments: byName(optimizer.state.secondMoments),
        });
      }
    } catch (error) {
      await trainer.close();
      throw error;
    }
    return new DataParallelRun(trainer, model, optimizer);
  }

  /** The workers' matmul kernels (e.g. "MLAS, 1 thread"). */
  get matmul(): string {
    return this.trainer.matmul;
  }

  /** Returns the outcome of one optimizer step over `microBatches` on the workers. */
  step(microBatches: readonly TrainingBatch[], packed: boolean, config: AdamWConfig): Promise<StepOutcome> {
    return this.trainer.step(microBatches, packed, config);
  }

  /** Copies the workers' weights into this thread's model. */
  syncModel(): void {
    const weights = this.trainer.parameters();
    for (const [name, variable] of this.model.parameters) {
      const values = weights[name];
      if (values) tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
    }
  }

  /** Copies the workers' weights into the model and their AdamW state into the optimizer (before a checkpoint). */
  async syncAll(): Promise<void> {
    this.syncModel();
    const state = await this.trainer.optimizerState();
    const { names, variables } = this.optimizer.trainable;
    const tensors = (moments: Record<string, Float32Array>) => names.map((name, index) => tf.tensor(moments[name]!, variables[index]!.shape));
    const previous = this.optimizer.state;
    this.optimizer.state = { step: state.step, firstMoments: tensors(state.firstMoments), secondMoments: tensors(state.secondMoments) };
    tf.dispose([...previous.firstMoments, ...previous.secondMoments]);
  }

  /** Stops the workers. */
  close(): Promise<void> {
    return this.trainer.close();
  }
}
