/**
 * Matrix products on onnxruntime's MLAS kernels, called synchronously from the host-side kernels.
 *
 * tfjs-wasm runs its matmuls on XNNPACK compiled to wasm SIMD (~48 GFLOP/s on one core of the
 * development machine); MLAS, onnxruntime's native GEMM (AVX2/AVX-512), runs the same shapes at
 * 140–250 GFLOP/s on one thread (bench: `npm run bench:step -- --gemm`). onnxruntime-node's public
 * `session.run` is async (a setImmediate around the native call), which a tfjs kernel or gradient
 * cannot await; its native binding's `run` is synchronous, so this file loads the binding itself and
 * keeps one tiny session per product kind: a Gemm node (optional transposes, optional bias row) for
 * 2-D products and a MatMul node for batched ones, every dimension symbolic. Operands are passed as
 * Float32Array views (no copy) and the result is written into the caller's array.
 *
 * Shape legend: M rows of the result, K reduction length, N columns; batch for batched products.
 * Node only: where the binding does not load (a browser, a platform without the native binary),
 * mlasAvailable() is false and callers keep their tfjs path.
 */
import { BackendError } from '@steerlm/core';
import { encodeOnnxModel, type OnnxNode } from '../../io/onnx';

/** onnxruntime-node's native session (dist/binding.js), of which only these members are used. */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: Record<string, unknown>): Record<string, unknown>;
}

interface NativeModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

type OrtTensorConstructor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;

interface Mlas {
  binding: NativeModule['binding'];
  Tensor: OrtTensorConstructor;
}

let loaded: Mlas | null | undefined;

function loadMlas(): Mlas | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    const moduleApi = (globalThis.process as { getBuiltinModule?: (name: string) => unknown } | undefined)?.getBuiltinModule?.('node:module') as
      { createRequire(from: string): ((id: string) => unknown) & { resolve(id: string): string } } | undefined;
    if (moduleApi === undefined) return null;
    const require = moduleApi.createRequire(import.meta.url);
    const native = require('onnxruntime-node/dist/binding.js') as NativeModule;
    // The Tensor class the binding was initialised with: onnxruntime-node's own onnxruntime-common.
    const fromOrt = moduleApi.createRequire(require.resolve('onnxruntime-node/dist/binding.js'));
    const common = fromOrt('onnxruntime-common') as { Tensor: OrtTensorConstructor };
    native.initOrt();
    loaded = { binding: native.binding, Tensor: common.Tensor };
  } catch {
    loaded = null;
  }
  return loaded;
}

/** Returns true when onnxruntime-node's native binding loads in this runtime (Node with its binary). */
export function mlasAvailable(): boolean {
  return loadMlas() !== null;
}

/** Returns the thread count STEERLM_MLAS_THREADS asks for (a positive integer), else 1. */
function threadsFromEnvironment(): number {
  const value = Number(typeof process === 'undefined' ? undefined : process.env?.STEERLM_MLAS_THREADS);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

let intraOpThreads = threadsFromEnvironment();
let calls = 0;

/** Returns how many MLAS products ran in this thread so far (tests and benchmarks count with it). */
export function mlasCallCount(): number {
  return calls;
}
const sessions = new Map<string, NativeSession>();

/**
 * Sets the threads each MLAS product may use (env STEERLM_MLAS_THREADS, else 1: the rest of a
 * training step runs on one thread, and data-parallel workers each bring their own); returns the previous count. Sessions
 * made before keep theirs, so call it before training starts.
 */
export function setMlasThreads(threads: number): number {
  const previous = intraOpThreads;
  const next = Math.max(1, Math.floor(threads));
  if (next !== intraOpThreads) sessions.clear();
  intraOpThreads = next;
  return previous;
}

/** Returns the thread count of new MLAS sessions. */
export function mlasThreads(): number {
  return intraOpThreads;
}

const FLOAT = 'float32' as const;

function sessionFor(key: string, node: OnnxNode, inputRanks: readonly number[], outputRank: number): NativeSession {
  const cached = sessions.get(key);
  if (cached) return cached;
  const mlas = loadMlas();
  if (mlas === null) {
    throw new BackendError('MLAS products need onnxruntime-node, whose native binding did not load', {
      backend: 'wasm',
      hint: 'check mlasAvailable() first, or train with --host-matmul backend (STEERLM_HOST_MATMUL=backend)',
    });
  }
  const dims = (prefix: string, rank: number) => Array.from({ length: rank }, (_, axis) => `${prefix}${axis}`);
  const bytes = encodeOnnxModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    graph: {
      name: key,
      nodes: [node],
      inputs: node.inputs.map((name, index) => ({ name, elemType: FLOAT, shape: dims(`${name}_`, inputRanks[index]!) })),
      outputs: [{ name: 'c', elemType: FLOAT, shape: dims('c_', outputRank) }],
    },
  });
  const session = new mlas.binding.InferenceSession();
  session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    // Idle intra-op threads sleep instead of spinning: the products come between host loops, and a
    // spinning thread burns a core the rest of the step (or another process) needs.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  sessions.set(key, session);
  return session;
}

/** The layout of one 2-D product C [M, N] = op(A) · op(B) (+ bias [N] added to every row). */
export interface GemmShape {
  /** Rows of the result. */
  M: number;
  /** The reduction length. */
  K: number;
  /** Columns of the result. */
  N: number;
  /** A is stored [K, M]. */
  transposeA?: boolean;
  /** B is stored [N, K]. */
  transposeB?: boolean;
}

/**
 * Writes op(a) · op(b) (+ bias) into `c` [M, N] with MLAS; returns `c`. Every array is read or
 * written in place (views into wasm memory are fine: nothing here allocates on the wasm heap).
 */
export function mlasGemm(a: Float32Array, b: Float32Array, c: Float32Array, shape: GemmShape, bias?: Float32Array): Float32Array {
  const { M, K, N } = shape;
  const transposeA = shape.transposeA ?? false;
  const transposeB = shape.transposeB ?? false;
  const key = `gemm|${transposeA}|${transposeB}|${bias !== undefined}`;
  const inputs = bias !== undefined ? ['a', 'b', 'bias'] : ['a', 'b'];
  const session = sessionFor(
    key,
    {
      opType: 'Gemm',
      inputs,
      outputs: ['c'],
      attributes: { transA: { type: 'int', value: transposeA ? 1 : 0 }, transB: { type: 'int', value: transposeB ? 1 : 0 } },
    },
    bias !== undefined ? [2, 2, 1] : [2, 2],
    2,
  );
  const { Tensor } = loadMlas()!;
  const feeds: Record<string, unknown> = {
    a: new Tensor(FLOAT, a.subarray(0, M * K), transposeA ? [K, M] : [M, K]),
    b: new Tensor(FLOAT, b.subarray(0, K * N), transposeB ? [N, K] : [K, N]),
  };
  if (bias !== undefined) feeds.bias = new Tensor(FLOAT, bias.subarray(0, N), [N]);
  session.run(feeds, { c: new Tensor(FLOAT, c.subarray(0, M * N), [M, N]) }, {});
  calls++;
  return c;
}

/**
 * Writes the batched product a [batch, M, K] · b [batch, K, N] into `c` [batch, M, N] with MLAS
 * (one call for every batch entry); returns `c`.
 */
export function mlasBatchedMatmul(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, M: number, K: number, N: number): Float32Array {
  const session = sessionFor('batched-matmul', { opType: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }, [3, 3], 3);
  const { Tensor } = loadMlas()!;
  session.run(
    { a: new Tensor(FLOAT, a.subarray(0, batch * M * K), [batch, M, K]), b: new Tensor(FLOAT, b.subarray(0, batch * K * N), [batch, K, N]) },
    { c: new Tensor(FLOAT, c.subarray(0, batch * M * N), [batch, M, N]) },
    {},
  );
  calls++;
  return c;
}
