/**
 * Counts the compute dispatches and compute passes recorded on any WebGPU device of this process:
 * ours (runProgram) and stock tfjs-webgpu's alike, by wrapping GPUComputePassEncoder's
 * dispatchWorkgroups and GPUCommandEncoder's beginComputePass once. Benchmarks read the counts
 * before and after a step; `ours` is counted by runProgram, so `total - ours` is tfjs's share.
 */

/** Cumulative counts since the counter was installed. */
export interface DispatchCounts {
  /** Every dispatchWorkgroups call (ours and tfjs's). */
  total: number;
  /** Dispatches of our WGSL programs (runProgram). */
  ours: number;
  /** total - ours: stock tfjs-webgpu programs. */
  stock: number;
  /** beginComputePass calls. */
  computePasses: number;
}

const counts = { total: 0, ours: 0, computePasses: 0 };
let installed = false;

/**
 * Returns true once the counter wraps the WebGPU classes (installing it on the first call), false
 * when this process has no WebGPU classes (no Dawn loaded, no navigator.gpu).
 */
export function installDispatchCounter(): boolean {
  if (installed) return true;
  const scope = globalThis as { GPUComputePassEncoder?: { prototype: GPUComputePassEncoder }; GPUCommandEncoder?: { prototype: GPUCommandEncoder } };
  const passPrototype = scope.GPUComputePassEncoder?.prototype;
  const encoderPrototype = scope.GPUCommandEncoder?.prototype;
  if (passPrototype === undefined || encoderPrototype === undefined) return false;
  const dispatch = passPrototype.dispatchWorkgroups;
  passPrototype.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
    counts.total++;
    return dispatch.apply(this, args);
  };
  const beginPass = encoderPrototype.beginComputePass;
  encoderPrototype.beginComputePass = function (this: GPUCommandEncoder, ...args: Parameters<GPUCommandEncoder['beginComputePass']>) {
    counts.computePasses++;
    return beginPass.apply(this, args);
  };
  installed = true;
  return true;
}

/** Called by runProgram for each of our dispatches. */
export function countOurDispatch(): void {
  counts.ours++;
}

/** Returns the cumulative counts (ours is counted even before the counter is installed; total is not). */
export function dispatchCounts(): DispatchCounts {
  return { total: counts.total, ours: counts.ours, stock: counts.total - counts.ours, computePasses: counts.computePasses };
}

/** Returns `after - before`, field by field. */
export function dispatchCountsBetween(before: DispatchCounts, after: DispatchCounts): DispatchCounts {
  return {
    total: after.total - before.total,
    ours: after.ours - before.ours,
    stock: after.stock - before.stock,
    computePasses: after.computePasses - before.computePasses,
  };
}
