/**
 * Run a WgslProgram on tfjs tensors on the webgpu backend. Inputs are bound zero-copy (the
 * tensor's own GPUBuffer, uploaded first when it still lives on the CPU side); outputs are new
 * tfjs-owned buffers from the backend's buffer pool, so disposing the output tensors recycles them.
 * The dispatch is recorded into tfjs's own command encoder, so it runs after every tfjs op queued
 * before it and before every op queued after it, and the buffers it reads are kept alive until
 * that encoder is submitted (tfjs's commandQueueOwnedIds bookkeeping).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BackendError, ShapeError } from '@steerlm/core';
import { getOrCompilePipeline, isPipelineCached } from './pipeline-cache';
import { assembleSource, EXTENSION_FEATURES, programCacheKey, type WgslProgram } from './program';
import { countOurDispatch } from './dispatch-counter';
import { packUniforms } from './uniforms';
import { backendInternals, getWebGPUBackend } from './webgpu-context';

type InputInfo = Pick<tf.TensorInfo, 'dataId' | 'shape' | 'dtype'>;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

function bufferOf(backend: WebGPUBackend, info: InputInfo, what: string): GPUBuffer {
  backend.uploadToGPU(info.dataId);
  const resource = backendInternals(backend).tensorMap.get(info.dataId)?.resource;
  if (!(resource instanceof GPUBuffer)) {
    throw new BackendError(`${what} is not stored in a GPUBuffer on the webgpu backend`, {
      backend: 'webgpu',
      hint: 'create the tensor with tfjs ops (not from pixels/textures)',
    });
  }
  return resource;
}

/**
 * Returns the output TensorInfos (backend-level, refCount 1) of running `program` on `inputs`.
 * Use inside a tfjs kernel function; outside one, use runProgramOnTensors.
 */
export function runProgram(program: WgslProgram, inputs: readonly InputInfo[], backendArgument?: WebGPUBackend): tf.TensorInfo[] {
  const backend = backendArgument ?? getWebGPUBackend();
  if (inputs.length !== program.inputs.length) {
    throw new ShapeError(`kernel ${program.name} declares ${program.inputs.length} inputs but got ${inputs.length}`);
  }
  const device = backend.device;
  for (const extension of program.enables ?? []) {
    const feature = EXTENSION_FEATURES[extension];
    if (!device.features.has(feature)) {
      throw new BackendError(`kernel ${program.name} (${program.variant ?? 'default'}) needs the WebGPU feature "${feature}", which this device lacks`, {
        backend: 'webgpu',
        hint: 'choose a variant the device supports (see webgpuFeatures()), or select the device with selectBackend()',
      });
    }
  }
  const outputs = program.outputs.map((output) => backend.makeTensorInfo([...output.shape], output.dtype ?? 'float32'));
  const empty =
    outputs.some((output) => sizeOf(output.shape) === 0) || inputs.some((input) => sizeOf(input.shape) === 0) || program.dispatch.some((count) => count === 0);
  if (empty) {
    // Nothing to compute; outputs of size > 0 must still hold defined values.
    for (const output of outputs) {
      const values = output.dtype === 'int32' ? new Int32Array(sizeOf(output.shape)) : new Float32Array(sizeOf(output.shape));
      backend.move(output.dataId, values, output.shape, output.dtype, 1);
    }
    return outputs;
  }
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  if (program.dispatch.some((count) => count > limit)) {
    throw new ShapeError(`kernel ${program.name} dispatches [${program.dispatch.join(', ')}] workgroups, over the device limit ${limit} per dimension`, {
      hint: 'spread the work over the y/z dimensions',
    });
  }
  const inputBuffers = inputs.map((input, index) => bufferOf(backend, input, `input ${index} (${program.inputs[index]}) of ${program.name}`));
  const outputBuffers = outputs.map((output, index) => bufferOf(backend, output, `output ${index} of ${program.name}`));
  const uniforms = program.uniforms ?? [];
  const key = programCacheKey(program, inputs);
  const firstUse = !isPipelineCached(device, key);
  const compiled = getOrCompilePipeline(
    device,
    key,
    () =>
      assembleSource(
        program,
        inputs.map((input) => input.dtype),
      ),
    {
      inputs: inputs.length,
      outputs: outputs.length,
      uniforms: uniforms.length > 0,
      readWriteInputs: program.inputs.flatMap((name, index) => (program.readWriteInputs?.includes(name) ? [index] : [])),
    },
  );
  const internals = backendInternals(backend);
  const entries: GPUBindGroupEntry[] = [...inputBuffers, ...outputBuffers].map((buffer, binding) => ({ binding, resource: { buffer } }));
  if (uniforms.length > 0) {
    const bytes = packUniforms(uniforms);
    const uniformBuffer = backend.bufferManager.acquireBuffer(bytes.byteLength, GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM);
    device.queue.writeBuffer(uniformBuffer, 0, bytes);
    internals.uniformPendingDisposal.push(uniformBuffer);
    entries.push({ binding: entries.length, resource: { buffer: uniformBuffer } });
  }
  const bindGroup = device.createBindGroup({ layout: compiled.layout, entries });
  // Inputs written in place: tfjs caches a tensor's values on the CPU after a read and would serve
  // that stale copy; drop it, so the next read downloads the buffer.
  program.inputs.forEach((name, index) => {
    if (!program.readWriteInputs?.includes(name)) return;
    const data = internals.tensorMap.get(inputs[index]!.dataId);
    if (data !== undefined) data.values = null;
  });
  // The first dispatch of a new pipeline goes in a command buffer of its own: if its WGSL does not
  // compile, only that dispatch is lost, not the tfjs commands batched around it.
  if (firstUse && internals.commandEncoder !== null) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  backend.ensureCommandEncoderReady();
  if (internals.activeTimers != null && internals.supportTimestampQuery) {
    // Profiling (tf.profile / tf.time): a pass of its own with timestamps, as tfjs times its programs.
    backend.endComputePassEncoder();
    internals.querySet ??= device.createQuerySet({ type: 'timestamp', count: internals.querySetCount });
    const timedPass = internals.commandEncoder!.beginComputePass({
      label: program.name,
      timestampWrites: { querySet: internals.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
    timedPass.setPipeline(compiled.pipeline);
    timedPass.setBindGroup(0, bindGroup);
    timedPass.dispatchWorkgroups(program.dispatch[0], program.dispatch[1], program.dispatch[2]);
    timedPass.end();
    for (const info of [...inputs, ...outputs]) internals.commandQueueOwnedIds.add(info.dataId);
    countOurDispatch();
    internals.activeTimers.push({ name: program.name, query: internals.getQueryTime() });
    return outputs;
  }
  // Consecutive dispatches (ours and tfjs's) share tfjs's open compute pass; a pass orders its
  // dispatches and makes each one's writes visible to the next, as separate passes would.
  internals.computePassEncoder ??= internals.commandEncoder!.beginComputePass({});
  const pass = internals.computePassEncoder;
  pass.setPipeline(compiled.pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(program.dispatch[0], program.dispatch[1], program.dispatch[2]);
  for (const info of [...inputs, ...outputs]) internals.commandQueueOwnedIds.add(info.dataId);
  countOurDispatch();
  internals.dispatchCountInPass++;
  if (firstUse || internals.dispatchCountInPass >= tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  return outputs;
}

/** Returns tf.Tensors (tracked by the engine, so tidy/dispose work) for the outputs of `program` on `inputs`. */
export function runProgramOnTensors(program: WgslProgram, inputs: readonly tf.Tensor[]): tf.Tensor[] {
  const backend = getWebGPUBackend();
  return runProgram(program, inputs, backend).map((info) => tf.engine().makeTensorFromTensorInfo(info, backend));
}
