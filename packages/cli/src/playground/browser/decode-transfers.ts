/**
 * Where an in-page decode's key/value cache lives between graph runs, and what each run reads back to
 * the CPU: a view of an onnxruntime-web session that records, per run, the cache inputs fed from the CPU,
 * the cache outputs returned on the CPU, the bytes of every output returned on the CPU (on WebGPU, the
 * GPU→CPU downloads) and the GPU tensors it handed out that are not disposed yet. The playground reports
 * it with each answer (and the browser test asserts on it). Browser code: no Node imports.
 */
import type { OrtSession } from '@steerlm/sft/browser';

/** The transfers of one decode (see {@link recordTransfers}). */
export interface DecodeTransfers {
  /**
   * Where the cache stayed between steps: `gpu-buffer` when no run returned a cache output on the CPU
   * and every run after the prefill was fed its cache from the GPU; `cpu` otherwise.
   */
  readonly kvCache: 'gpu-buffer' | 'cpu';
  /** Graph runs: the prefill, then one per step. */
  readonly runs: number;
  /** Per run, the bytes of the outputs returned on the CPU (downloaded from the GPU on WebGPU). */
  readonly readBytes: readonly number[];
  /** Per run, the cache outputs (`present.*`) returned on the CPU. */
  readonly cacheOutputsOnCpu: readonly number[];
  /** Per run, the non-empty cache inputs (`past_key_values.*`) fed from the CPU (uploaded to the GPU on WebGPU). */
  readonly cacheInputsFromCpu: readonly number[];
  /** The GPU tensors the runs returned that are not disposed yet (0 once a decode has ended: nothing leaked). */
  readonly gpuTensorsAlive: number;
}

type OrtTensor = Parameters<OrtSession['run']>[0][string];

const isCacheInput = (name: string) => name.startsWith('past_key_values.');
const isCacheOutput = (name: string) => name.startsWith('present.');

/**
 * Returns a view of `session` whose runs are recorded, and a function that resolves the record so far.
 * The view is the session for everything but `run` (names, metadata, release).
 */
export function recordTransfers(session: OrtSession): { session: OrtSession; transfers: () => DecodeTransfers } {
  const readBytes: number[] = [];
  const cacheOutputsOnCpu: number[] = [];
  const cacheInputsFromCpu: number[] = [];
  const gpuTensors = new Set<OrtTensor>();
  const run = async (...args: Parameters<OrtSession['run']>) => {
    const feeds = args[0];
    cacheInputsFromCpu.push(Object.entries(feeds).filter(([name, tensor]) => isCacheInput(name) && tensor.location === 'cpu' && tensor.size > 0).length);
    const outputs = await (session.run as (...runArgs: Parameters<OrtSession['run']>) => ReturnType<OrtSession['run']>)(...args);
    let bytes = 0;
    let cacheOnCpu = 0;
    for (const [name, tensor] of Object.entries(outputs) as [string, OrtTensor][]) {
      if (tensor.location === 'cpu') {
        bytes += (tensor.data as ArrayBufferView).byteLength;
        if (isCacheOutput(name)) cacheOnCpu++;
      } else if (tensor.location === 'gpu-buffer') {
        gpuTensors.add(tensor);
      }
    }
    readBytes.push(bytes);
    cacheOutputsOnCpu.push(cacheOnCpu);
    return outputs;
  };
  const view = new Proxy(session, {
    get(target, property) {
      if (property === 'run') return run;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...values: unknown[]) => unknown).bind(target) : value;
    },
  });
  const transfers = (): DecodeTransfers => ({
    kvCache: cacheOutputsOnCpu.every((count) => count === 0) && cacheInputsFromCpu.slice(1).every((count) => count === 0) ? 'gpu-buffer' : 'cpu',
    runs: readBytes.length,
    readBytes: [...readBytes],
    cacheOutputsOnCpu: [...cacheOutputsOnCpu],
    cacheInputsFromCpu: [...cacheInputsFromCpu],
    gpuTensorsAlive: [...gpuTensors].filter((tensor) => tensor.location !== 'none').length,
  });
  return { session: view, transfers };
}
