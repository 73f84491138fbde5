/**
 * Compiled compute pipelines, per device, keyed by programCacheKey (kernel name + variant + dtypes +
 * shapes + extra key). Compilation errors are captured with an error scope and surfaced by
 * `checkCompiledPrograms()` with the kernel's cache key.
 */
import { BackendError } from '@steerlm/core';
import { activeShaderSink } from './shader-print';

/** A compiled program: pipeline, its explicit bind-group layout, and its source. */
export interface CachedPipeline {
  key: string;
  source: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const caches = new WeakMap<GPUDevice, Map<string, CachedPipeline>>();
const pendingErrors: Array<Promise<string | null>> = [];
const compileFailures: string[] = [];

function cacheFor(device: GPUDevice): Map<string, CachedPipeline> {
  let cache = caches.get(device);
  if (cache === undefined) {
    cache = new Map();
    caches.set(device, cache);
  }
  return cache;
}

/** Returns the cached pipeline for `key`, compiling `source()` with the given binding counts on a miss. */
export function getOrCompilePipeline(
  device: GPUDevice,
  key: string,
  source: () => string,
  bindings: { inputs: number; outputs: number; uniforms: boolean; readWriteInputs?: readonly number[] },
): CachedPipeline {
  const cache = cacheFor(device);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const code = source();
  activeShaderSink()?.(key, code);
  const entries: GPUBindGroupLayoutEntry[] = [];
  let binding = 0;
  for (let index = 0; index < bindings.inputs; index++) {
    const type = bindings.readWriteInputs?.includes(index) ? 'storage' : 'read-only-storage';
    entries.push({ binding: binding++, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
  }
  for (let index = 0; index < bindings.outputs; index++) {
    entries.push({ binding: binding++, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } });
  }
  if (bindings.uniforms) entries.push({ binding: binding++, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: key });
  const layout = device.createBindGroupLayout({ entries, label: key });
  const pipeline = device.createComputePipeline({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main' },
    label: key,
  });
  const failure = device.popErrorScope().then((error) => {
    if (error === null) return null;
    const message = `WGSL program ${key} failed to compile: ${error.message}`;
    compileFailures.push(message);
    return message;
  });
  pendingErrors.push(failure);
  const compiled: CachedPipeline = { key, source: code, pipeline, layout };
  cache.set(key, compiled);
  return compiled;
}

/** Resolves when every compilation so far finished; throws BackendError naming the programs that failed. */
export async function checkCompiledPrograms(): Promise<void> {
  await Promise.all(pendingErrors.splice(0));
  if (compileFailures.length > 0) {
    const failures = compileFailures.splice(0);
    throw new BackendError(failures.join('\n'), { backend: 'webgpu', hint: 'run with STEERLM_PRINT_WGSL=1 to see the full WGSL' });
  }
}

/** Returns true when a pipeline for `key` was already compiled on `device`. */
export function isPipelineCached(device: GPUDevice, key: string): boolean {
  return caches.get(device)?.has(key) ?? false;
}

/** Returns how many pipelines are cached for `device`. */
export function pipelineCacheSize(device: GPUDevice): number {
  return caches.get(device)?.size ?? 0;
}

/** Returns the cache keys compiled for `device`, in compile order. */
export function pipelineCacheKeys(device: GPUDevice): string[] {
  return [...(caches.get(device)?.keys() ?? [])];
}
