/**
 * Training checkpoints: a folder `checkpoint-<step>` holding the trainable weights, the optimizer's
 * moments and `state.json` (step, data position, config). Written into a temporary folder, flushed,
 * then renamed, so a kill at any moment leaves the previous checkpoints intact.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TrainingError, type ProgressTracker } from '@steerlm/core';
import { syncFolder } from '@steerlm/core/node';
import { readFloat32 } from '../backend/read-tensor';
import { SafetensorsCheckpoint, writeSafetensors, type SafetensorsWriteEntry } from '../io/safetensors';
import type { DecoderModel } from '../models';
import type { Optimizer } from './train-step';

/** Where training stands: restored exactly by a resume. */
export interface TrainingPosition {
  /** Optimizer steps done. */
  step: number;
  epoch: number;
  /** Micro-batches consumed in the current epoch. */
  batchInEpoch: number;
  /** Steps skipped for non-finite values so far. */
  skippedSteps: number;
  /** The best validation loss so far, if any. */
  bestValidationLoss?: number;
}

export interface CheckpointState {
  version: 1;
  position: TrainingPosition;
  /** The options the run was started with (checked on resume). */
  fingerprint: string;
  trainableNames: string[];
  lora: unknown;
}

const PREFIX = 'checkpoint-';

/**
 * Writes the trainer's checkpoint at `position` (trainable names from the optimizer, the model's LoRA
 * config), keeps the newest `keep` (3), announces it on `tracker` and returns its folder: the step both
 * trainers take.
 */
export async function saveTrainingCheckpoint(
  directory: string,
  optimizer: Optimizer,
  model: DecoderModel,
  run: { position: TrainingPosition; fingerprint: string; keep?: number | undefined },
  tracker: ProgressTracker,
): Promise<string> {
  const { position, fingerprint } = run;
  const folder = await writeCheckpoint(directory, optimizer, {
    version: 1,
    position,
    fingerprint,
    trainableNames: optimizer.trainable.names,
    lora: model.loraConfig ?? null,
  });
  await pruneCheckpoints(directory, run.keep ?? 3);
  tracker.emit({ type: 'checkpoint', job: tracker.job, step: position.step, path: folder });
  return folder;
}

/** Writes a checkpoint for `position` into `directory` atomically; returns its folder. */
export async function writeCheckpoint(directory: string, optimizer: Optimizer, state: CheckpointState): Promise<string> {
  await mkdir(directory, { recursive: true });
  const final = join(directory, `${PREFIX}${String(state.position.step).padStart(8, '0')}`);
  const temporary = `${final}.tmp-${process.pid}`;
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary);
  const { names, variables } = optimizer.trainable;
  const weights: SafetensorsWriteEntry[] = variables.map((variable, index) => ({
    name: names[index]!,
    dtype: 'F32',
    shape: variable.shape,
    data: () => readFloat32(variable, 'the checkpoint'),
  }));
  await writeSafetensors(join(temporary, 'weights.safetensors'), weights);
  const moments: SafetensorsWriteEntry[] = [];
  names.forEach((name, index) => {
    const first = optimizer.state.firstMoments[index]!;
    const second = optimizer.state.secondMoments[index]!;
    moments.push({ name: `m.${name}`, dtype: 'F32', shape: first.shape, data: () => readFloat32(first, 'the checkpoint') });
    moments.push({ name: `v.${name}`, dtype: 'F32', shape: second.shape, data: () => readFloat32(second, 'the checkpoint') });
  });
  // In mixed precision the loss scale (GradScaler's state) goes beside the moments.
  const lossScale = await optimizer.lossScaleState();
  const metadata = {
    step: String(optimizer.state.step),
    ...(lossScale ? { lossScale: String(lossScale.scale), lossScaleGoodSteps: String(lossScale.goodSteps) } : {}),
  };
  await writeSafetensors(join(temporary, 'optimizer.safetensors'), moments, { metadata });
  const handle = await open(join(temporary, 'state.json'), 'w');
  await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
  await handle.sync();
  await handle.close();
  await syncFolder(temporary);
  await rm(final, { recursive: true, force: true });
  await rename(temporary, final);
  await syncFolder(directory);
  return final;
}

/** Returns the complete checkpoint folders in `directory`, oldest first (temporary folders ignored). */
export async function listCheckpoints(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && new RegExp(`^${PREFIX}\\d+$`).test(entry.name))
    .map((entry) => join(directory, entry.name))
    .sort();
}

/** Deletes all but the newest `keep` checkpoints and any leftover temporary folders. */
export async function pruneCheckpoints(directory: string, keep: number): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory() && entry.name.startsWith(PREFIX) && entry.name.includes('.tmp-'))
      await rm(join(directory, entry.name), { recursive: true, force: true });
  }
  const complete = await listCheckpoints(directory);
  for (const folder of complete.slice(0, Math.max(0, complete.length - keep))) await rm(folder, { recursive: true, force: true });
}

/** Returns the state of a checkpoint folder after checking it is complete. */
export async function readCheckpointState(folder: string): Promise<CheckpointState> {
  try {
    const state = JSON.parse(await readFile(join(folder, 'state.json'), 'utf8')) as CheckpointState;
    if (state.version !== 1 || typeof state.position?.step !== 'number') throw new Error('unknown layout');
    return state;
  } catch (cause) {
    throw new TrainingError(`checkpoint ${folder} is unreadable (${(cause as Error).message})`, {
      checkpoint: folder,
      cause,
      hint: 'resume from an older checkpoint folder',
    });
  }
}

/** Loads weights and optimizer moments of a checkpoint into `optimizer`'s variables and state. */
export async function restoreCheckpoint(folder: string, optimizer: Optimizer): Promise<CheckpointState> {
  const state = await readCheckpointState(folder);
  const { names, variables } = optimizer.trainable;
  if (state.trainableNames.join('\n') !== names.join('\n')) {
    throw new TrainingError(`checkpoint ${folder} holds other trainable tensors than this run (${state.trainableNames.length} vs ${names.length})`, {
      checkpoint: folder,
      hint: 'resume with the same model, LoRA and freezing options',
    });
  }
  const weights = await SafetensorsCheckpoint.open(join(folder, 'weights.safetensors'));
  const moments = await SafetensorsCheckpoint.open(join(folder, 'optimizer.safetensors'));
  try {
    const firstMoments: tf.Tensor[] = [];
    const secondMoments: tf.Tensor[] = [];
    for (let index = 0; index < names.length; index++) {
      const variable = variables[index]!;
      const loaded = tf.tensor(await weights.readFloat32(names[index]!, variable.shape), variable.shape);
      variable.assign(loaded);
      loaded.dispose();
      firstMoments.push(tf.tensor(await moments.readFloat32(`m.${names[index]}`, variable.shape), variable.shape));
      secondMoments.push(tf.tensor(await moments.readFloat32(`v.${names[index]}`, variable.shape), variable.shape));
    }
    tf.dispose([...optimizer.state.firstMoments, ...optimizer.state.secondMoments]);
    optimizer.state = { step: state.position.step - state.position.skippedSteps, firstMoments, secondMoments };
    const scale = Number(moments.metadata.lossScale);
    const goodSteps = Number(moments.metadata.lossScaleGoodSteps);
    optimizer.restoredLossScale = Number.isFinite(scale) && scale > 0 && Number.isInteger(goodSteps) ? { scale, goodSteps } : undefined;
  } finally {
    await weights.close();
    await moments.close();
  }
  return state;
}
