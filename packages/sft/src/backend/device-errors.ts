/**
 * GPU errors are never silent. Dawn and browsers report a validation error, an out-of-memory error or
 * an internal error of work outside any error scope only as an `uncapturederror` event, then drop the
 * command buffer and carry on: tfjs would read stale or zero data and report wrong numbers. Every
 * device we acquire is watched here; every read-back (see read-tensor.ts) and every training step
 * checks the record and turns the first error into a BackendError that names the program.
 */
import { BackendError } from '@steerlm/core';

/** What went wrong on the device. */
export type DeviceErrorKind = 'validation' | 'out-of-memory' | 'internal' | 'device-lost';

/** One error the device reported. */
export interface DeviceErrorRecord {
  kind: DeviceErrorKind;
  /** The program (pipeline or shader label) the message names, when it names one. */
  program: string | null;
  message: string;
}

const pending: DeviceErrorRecord[] = [];

function kindOf(error: { constructor: { name: string } }): DeviceErrorKind {
  const name = error.constructor.name;
  if (name === 'GPUOutOfMemoryError') return 'out-of-memory';
  if (name === 'GPUInternalError') return 'internal';
  return 'validation';
}

/** Returns the label of the first labelled WebGPU object a Dawn/browser message names (e.g. "AddNPackedProgram"), or null. */
export function programInMessage(message: string): string | null {
  // Dawn writes objects as [ComputePipeline "Label"] and descriptors as [ComputePipelineDescriptor ""Label""].
  const match = /\[(?:Invalid )?(?:ComputePipeline|ShaderModule|BindGroupLayout|PipelineLayout|BindGroup)(?:Descriptor)?\s+"+([^"\]]+)"+\]/.exec(message);
  return match?.[1] ?? null;
}

/** Records an error the device reported (exported for tests and for error scopes popped elsewhere). */
export function recordDeviceError(kind: DeviceErrorKind, message: string): void {
  pending.push({ kind, program: programInMessage(message), message });
}

/** Starts recording every uncaptured error and the loss of `device`. Idempotent per device. */
export function watchDeviceErrors(device: GPUDevice): void {
  const marked = device as GPUDevice & { __steerlmWatched?: true };
  if (marked.__steerlmWatched) return;
  marked.__steerlmWatched = true;
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    recordDeviceError(kindOf(error), error.message);
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') recordDeviceError('device-lost', `the WebGPU device was lost (${String(info.reason)}): ${info.message}`);
  });
}

/** Returns and forgets the errors recorded so far. */
export function takeDeviceErrors(): DeviceErrorRecord[] {
  return pending.splice(0);
}

/** Returns the number of errors recorded and not yet taken. */
export function pendingDeviceErrorCount(): number {
  return pending.length;
}

function hintFor(record: DeviceErrorRecord): string {
  switch (record.kind) {
    case 'out-of-memory':
      return 'the GPU ran out of memory: lower --batch-size or --max-seq-length, or use gradient accumulation';
    case 'device-lost':
      return 'the GPU driver reset or the device was removed; restart the run (it resumes from the last checkpoint with --resume)';
    case 'internal':
      return 'the GPU driver failed; try again, update the driver, or run with --backend wasm';
    case 'validation':
      return 'a program broke a WebGPU rule or a device limit, so its results would be wrong; this is a bug in steerlm or tfjs: please report it with this message, and use --backend wasm meanwhile';
  }
}

function firstLines(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(0, 3)
    .join(' ');
}

/**
 * Throws a BackendError for the first error recorded since the last check (and forgets them all),
 * naming the program and, when given, what was running (`during`). Does nothing when none was recorded.
 */
export function throwIfDeviceFailed(during?: string): void {
  if (pending.length === 0) return;
  const errors = takeDeviceErrors();
  const first = errors[0]!;
  const where = first.program !== null ? `in program "${first.program}"` : 'in a GPU program';
  const more = errors.length > 1 ? ` (${errors.length - 1} more error(s) followed)` : '';
  throw new BackendError(`WebGPU ${first.kind} error ${where}${during !== undefined ? ` during ${during}` : ''}: ${firstLines(first.message)}${more}`, {
    backend: 'webgpu',
    hint: hintFor(first),
  });
}
