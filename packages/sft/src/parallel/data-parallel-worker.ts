/**
 * The worker side of data-parallel training: one model replica on its own cpu or wasm backend. Per
 * step it writes its shard's gradients into its shared slot, then applies the summed gradients the
 * trainer leaves in shared memory, so every replica makes the same update.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { TrainingError } from '@steerlm/core';
import { readFloat32 } from '../backend/read-tensor';
import { selectBackend } from '../backend';
import { DecoderModel } from '../models';
import { Optimizer, trainableSet } from '../trainer/train-step';
import type { DataParallelRequest, DataParallelResponse, DataParallelWorkerData } from './data-parallel-protocol';

/** The URL of the module that exports runDataParallelWorker (this one, or the bundle it is built into). */
export const DATA_PARALLEL_WORKER_MODULE = import.meta.url;

/** Returns true in a worker thread started by a DataParallelTrainer. */
export function isDataParallelWorker(): boolean {
  return !isMainThread && (workerData as Partial<DataParallelWorkerData> | null)?.steerlmDataParallel === true;
}

/** Returns after serving a DataParallelTrainer's requests in this worker thread until it is closed. */
export async function runDataParallelWorker(): Promise<void> {
  if (!isDataParallelWorker() || !parentPort) {
    throw new TrainingError('runDataParallelWorker runs only in a worker thread started by DataParallelTrainer', { hint: 'use DataParallelTrainer.start' });
  }
  const port = parentPort;
  const data = workerData as DataParallelWorkerData;
  const send = (message: DataParallelResponse, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  try {
    await selectBackend({ prefer: data.backend, strict: true });
    const model = DecoderModel.create(data.config, { seed: data.seed });
    if (data.parameters) {
      for (const [name, values] of Object.entries(data.parameters)) model.parameters.get(name)?.assign(tf.tensor(values, model.parameters.get(name)!.shape));
    }
    const optimizer = new Optimizer(trainableSet(model));
    const { variables, names } = optimizer.trainable;
    const offsets: number[] = [];
    let total = 0;
    for (const variable of variables) {
      offsets.push(total);
      total += variable.size;
    }
    const slot = new Float32Array(data.gradientSlots, data.workerIndex * total * 4, total);
    const sum = new Float32Array(data.gradientSum, 0, total);
    model.training = true;
    send({ type: 'ready', parameterCount: total, names });
    await new Promise<void>((resolve) => {
      port.on('message', (request: DataParallelRequest) => {
        void handle(request).catch((error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          send({ type: 'error', message: failure.message, stack: failure.stack ?? '' });
        });
      });
      const handle = async (request: DataParallelRequest): Promise<void> => {
        switch (request.type) {
          case 'gradients': {
            if (request.batches.length === 0) {
              slot.fill(0);
              send({ type: 'gradients-done', loss: 0 });
              return;
            }
            const { loss, grads } = optimizer.gradients(model, request.batches, request.packed, request.denominator);
            const values = await Promise.all([loss, ...grads].map((tensor) => readFloat32(tensor, 'a data-parallel step')));
            tf.dispose([loss, ...grads]);
            values.slice(1).forEach((gradient, index) => slot.set(gradient as Float32Array, offsets[index]!));
            send({ type: 'gradients-done', loss: values[0]![0]! });
            return;
          }
          case 'apply': {
            const grads = variables.map((variable, index) => tf.tensor(sum.slice(offsets[index]!, offsets[index]! + variable.size), variable.shape));
            const outcome = await optimizer.apply({ loss: tf.scalar(request.loss), grads }, request.config, request.trainedTokens);
            send({ type: 'applied', outcome });
            return;
          }
          case 'read-parameters': {
            const parameters: Record<string, Float32Array> = {};
            for (const [name, variable] of model.parameters) parameters[name] = await readFloat32(variable, 'the parameter sync');
            send({ type: 'parameters', parameters });
            return;
          }
          case 'close':
            optimizer.dispose();
            model.dispose();
            send({ type: 'closed' });
            port.close();
            resolve();
        }
      };
    });
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', message: failure.message, stack: failure.stack ?? '' });
  }
}
