/**
 * The host matmul micro-benchmark (issue 16): every product of one training step's Linear layers
 * (forward x·W, dX = dy·Wᵀ, dW = xᵀ·dy) and attention (Q·Kᵀ, P·V per batch row and head, and the
 * same [B·H]-batched) at a model shape, timed four ways in one run:
 * - `mlas-1` / `mlas-2`: onnxruntime's MLAS Gemm on Float32Arrays with 1 and 2 intra-op threads;
 * - `op-mlas` / `op-xnnpack`: the matmul op on tfjs-wasm tensors (transposes, tensor plumbing and
 *   all) with the host engine on MLAS or on the backend (XNNPACK);
 * - `js`: a plain i-k-j loop over Float32Arrays (the host loops' way), on the smaller products only.
 * Each cell is the mean process CPU time per call (all threads), which a shared machine stretches far
 * less than wall time (a call longer than the scheduler's slice is preempted); mlas-2 also shows its
 * median wall time, the one that two threads shorten.
 */
import * as tf from '@tensorflow/tfjs';
import { matmul, mlasBatchedMatmul, mlasGemm, setHostMatmulEngine, setMlasThreads } from '@steerlm/sft/kernels';
import { median } from './median';
import { processCpuMs } from './process-cpu-ms';

/** One product: C [M, N] = op(A)·op(B), `count` times per training step. */
interface Product {
  name: string;
  M: number;
  K: number;
  N: number;
  transposeA: boolean;
  transposeB: boolean;
  /** Calls per step (layers × products of this shape). */
  count: number;
  /** The batched attention products: `batch` [M, K]·[K, N] in one call. */
  batch?: number;
}

/** The model shapes: rows N = batch × sequence, channels C, MLP width F, heads H, layers L. */
const SHAPES: Record<string, { rows: number; channels: number; mlp: number; heads: number; time: number; layers: number; vocabulary: number }> = {
  tiny: { rows: 1024, channels: 128, mlp: 512, heads: 4, time: 128, layers: 4, vocabulary: 512 },
  small: { rows: 8 * 256, channels: 256, mlp: 688, heads: 8, time: 256, layers: 4, vocabulary: 2000 },
  gpt2s: { rows: 8 * 512, channels: 768, mlp: 3072, heads: 12, time: 512, layers: 12, vocabulary: 8192 },
};

/** Returns the products of one step at `shape`. */
function stepProducts(shapeName: string): Product[] {
  const s = SHAPES[shapeName]!;
  const products: Product[] = [];
  const linear = (name: string, inputs: number, outputs: number) => {
    products.push({ name: `${name} fwd`, M: s.rows, K: inputs, N: outputs, transposeA: false, transposeB: false, count: s.layers });
    products.push({ name: `${name} dX`, M: s.rows, K: outputs, N: inputs, transposeA: false, transposeB: true, count: s.layers });
    products.push({ name: `${name} dW`, M: inputs, K: s.rows, N: outputs, transposeA: true, transposeB: false, count: s.layers });
  };
  linear('qkv', s.channels, 3 * s.channels);
  linear('attn-out', s.channels, s.channels);
  linear('mlp-up', s.channels, s.mlp);
  linear('mlp-down', s.mlp, s.channels);
  linear('lm-head', s.channels, s.vocabulary);
  const D = s.channels / s.heads;
  const batchRows = s.rows / s.time;
  const heads = batchRows * s.heads * s.layers;
  products.push({ name: 'attn Q·Kᵀ per head', M: s.time, K: D, N: s.time, transposeA: false, transposeB: false, count: 3 * heads });
  products.push({ name: 'attn P·V per head', M: s.time, K: s.time, N: D, transposeA: false, transposeB: false, count: 3 * heads });
  products.push({
    name: 'attn Q·Kᵀ batched',
    M: s.time,
    K: D,
    N: s.time,
    transposeA: false,
    transposeB: false,
    count: 3 * s.layers,
    batch: batchRows * s.heads,
  });
  products.push({
    name: 'attn P·V batched',
    M: s.time,
    K: s.time,
    N: D,
    transposeA: false,
    transposeB: false,
    count: 3 * s.layers,
    batch: batchRows * s.heads,
  });
  return products;
}

function randomValues(size: number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = Math.random() - 0.5;
  return values;
}

/** C = op(A)·op(B) with a plain i-k-j loop. */
function jsGemm(a: Float32Array, b: Float32Array, c: Float32Array, p: Product): void {
  const { M, K, N } = p;
  c.fill(0);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const x = p.transposeA ? a[k * M + i]! : a[i * K + k]!;
      const row = i * N;
      if (p.transposeB) for (let j = 0; j < N; j++) c[row + j]! += x * b[j * K + k]!;
      else for (let j = 0; j < N; j++) c[row + j]! += x * b[k * N + j]!;
    }
  }
}

/** Returns the median wall ms and the mean CPU ms (all threads) per call of `run`, repeated to ~`budgetMs` (3 to 200 times) after one warm-up. */
function time(run: () => void, flops: number, budgetMs: number): { wall: number; cpu: number } {
  run();
  const repeats = Math.max(3, Math.min(200, Math.round(budgetMs / Math.max(0.01, flops / 5e7))));
  const times: number[] = [];
  const cpuBefore = processCpuMs();
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return { wall: median(times), cpu: (processCpuMs() - cpuBefore) / repeats };
}

/** Logs the per-call times of every product at `shapeName` on the active backend (wasm expected). */
export function runHostGemmBenchmark(shapeName: string, log: (line: string) => void, budgetMs = 40): void {
  if (SHAPES[shapeName] === undefined) throw new Error(`unknown shape ${shapeName}; use ${Object.keys(SHAPES).join(', ')}`);
  log(`host matmuls of one ${shapeName} training step on ${tf.getBackend()}: ms per call (GFLOP/s); cpu = mean process CPU time (all threads), wall = median`);
  log('product                   M×K×N (xbatch)      calls  mlas-1 cpu      mlas-2 wall     mlas-2 cpu      op-mlas cpu     op-xnnpack cpu  js cpu');
  const totals = { 'mlas-1': 0, 'mlas-2': 0, 'op-mlas': 0, 'op-xnnpack': 0 };
  const cpuBefore = processCpuMs();
  for (const p of stepProducts(shapeName)) {
    const batch = p.batch ?? 1;
    const a = randomValues(batch * p.M * p.K);
    const b = randomValues(batch * p.K * p.N);
    const c = new Float32Array(batch * p.M * p.N);
    const flops = 2 * batch * p.M * p.K * p.N;
    const gemm = () => (p.batch ? mlasBatchedMatmul(a, b, c, batch, p.M, p.K, p.N) : mlasGemm(a, b, c, p));
    setMlasThreads(1);
    const mlas1 = time(gemm, flops, budgetMs);
    setMlasThreads(2);
    const mlas2 = time(gemm, flops, budgetMs);
    setMlasThreads(1);
    const shapeA = p.batch ? [batch, p.M, p.K] : p.transposeA ? [p.K, p.M] : [p.M, p.K];
    const shapeB = p.batch ? [batch, p.K, p.N] : p.transposeB ? [p.N, p.K] : [p.K, p.N];
    const [ta, tb] = [tf.tensor(a, shapeA), tf.tensor(b, shapeB)];
    const viaOp = () => matmul(ta, tb, { transposeA: p.transposeA, transposeB: p.transposeB }).dispose();
    setHostMatmulEngine('mlas');
    const opMlas = time(viaOp, flops, budgetMs);
    setHostMatmulEngine('backend');
    const opBackend = time(viaOp, flops, budgetMs);
    setHostMatmulEngine('mlas');
    tf.dispose([ta, tb]);
    const js = flops <= 2e8 && !p.batch ? time(() => jsGemm(a, b, c, p), flops, budgetMs) : { wall: Number.NaN, cpu: Number.NaN };
    if (!p.batch) {
      totals['mlas-1'] += p.count * mlas1.cpu;
      totals['mlas-2'] += p.count * mlas2.wall;
      totals['op-mlas'] += p.count * opMlas.cpu;
      totals['op-xnnpack'] += p.count * opBackend.cpu;
    }
    const cell = (ms: number) => (Number.isNaN(ms) ? '-'.padEnd(16) : `${ms.toFixed(3)} (${(flops / ms / 1e6).toFixed(0)})`.padEnd(16));
    const cpu = (timing: { cpu: number }) => cell(timing.cpu);
    const dims = `${p.M}×${p.K}×${p.N}${p.batch ? ` x${p.batch}` : ''}${p.transposeA ? ' Aᵀ' : ''}${p.transposeB ? ' Bᵀ' : ''}`;
    log(
      `${p.name.padEnd(26)}${dims.padEnd(20)}${String(p.count).padStart(5)}  ${cpu(mlas1)}${cell(mlas2.wall)}${cell(mlas2.cpu)}${cpu(opMlas)}${cpu(opBackend)}${cpu(js)}`,
    );
  }
  log(
    `per step (Σ calls × ms; attention per head, the batched rows left out): mlas-1 cpu ${totals['mlas-1'].toFixed(1)} ms, mlas-2 wall ${totals['mlas-2'].toFixed(1)} ms, op-mlas cpu ${totals['op-mlas'].toFixed(1)} ms, op-xnnpack cpu ${totals['op-xnnpack'].toFixed(1)} ms (process CPU ${(processCpuMs() - cpuBefore).toFixed(0)} ms for the whole benchmark)`,
  );
}
