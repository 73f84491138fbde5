/**
 * Shape legend: B batch, M rows of C, K reduction length, N columns of C (see matmul.reference.ts).
 *
 * WGSL matmul programs, one per variant:
 * - 'tiled-f32': a 64×64 output tile per workgroup of 16×16 invocations, each accumulating a 4×4
 *   register block (rows ty + 16i, columns tx + 16j) over K in 16-wide slabs staged in workgroup
 *   memory. Loads outside [M, K] / [K, N] read 0 and stores outside [M, N] are skipped, so any
 *   size works. Transposed operands change only the global index (and which lanes run along the
 *   contiguous axis, to keep loads coalesced).
 * - 'tiled-f16': the same tiling with the staged slabs in f16 (inputs rounded to f16, NaN past the
 *   f16 range) and products and sums in f32 — f16 inputs, f32 accumulation; needs `shader-f16`. In
 *   mixed precision an operand may come from packed f16 storage (a weight's working copy).
 * - 'subgroup-matrix-f16': the subgroup-matrix GEMM of mma-gemm.wgsl.ts (128×128 tiles, double-buffered
 *   f16 slabs, vec4 loads); needs `chromium-experimental-subgroup-matrix` with an f16→f32 configuration.
 */
import { geluExpression, geluHelpers } from '../activations/activations.wgsl';
import type { GeluApproximation } from '../activations/activations.reference';
import { halfStorageShape, TO_HALF_WGSL, type ProgramOutput, type WgslProgram } from '../runtime';
import { matmulOutputShape, type MatmulDims } from './matmul.reference';

/** The matmul implementations, chosen explicitly (see chooseMatmulVariant). */
export type MatmulVariant = 'tiled-f32' | 'tiled-f16' | 'subgroup-matrix-f16';

/** Output rows and columns per workgroup, and the K slab, of the tiled variants. */
export const TILE_M = 64;
export const TILE_N = 64;
export const TILE_K = 16;
const THREADS = 16;
const ROWS_PER_THREAD = TILE_M / THREADS;
const COLUMNS_PER_THREAD = TILE_N / THREADS;

/** The uniforms every matmul program reads: sizes and per-operand batch strides (0 for a shared operand). */
export function matmulUniforms(dims: MatmulDims): WgslProgram['uniforms'] {
  return [
    { name: 'M', type: 'u32', value: dims.M },
    { name: 'K', type: 'u32', value: dims.K },
    { name: 'N', type: 'u32', value: dims.N },
    { name: 'batchStrideA', type: 'u32', value: dims.batchedA ? dims.M * dims.K : 0 },
    { name: 'batchStrideB', type: 'u32', value: dims.batchedB ? dims.K * dims.N : 0 },
  ];
}

/** WGSL helpers loadA(batch, row, k) and loadB(batch, k, column) returning 0 outside the matrices. */
function loaders(dims: MatmulDims): string {
  const aIndex = dims.transposeA ? 'k * uniforms.M + row' : 'row * uniforms.K + k';
  const bIndex = dims.transposeB ? 'column * uniforms.K + k' : 'k * uniforms.N + column';
  return /* wgsl */ `
fn loadA(batch: u32, row: u32, k: u32) -> f32 {
  if (row >= uniforms.M || k >= uniforms.K) { return 0.0; }
  return f32(a[batch * uniforms.batchStrideA + ${aIndex}]);
}
fn loadB(batch: u32, k: u32, column: u32) -> f32 {
  if (k >= uniforms.K || column >= uniforms.N) { return 0.0; }
  return f32(b[batch * uniforms.batchStrideB + ${bIndex}]);
}`;
}

/**
 * What the tiled kernel does besides C = op(A)·op(B), in its store (no extra dispatch): add a bias
 * per column (input 'bias' [N]), apply GELU (saving the pre-activation as output 'pre' when asked),
 * add a residual (input 'residual' [M, N]); and, while op(B) streams through workgroup memory, sum its
 * columns (output 'columnSums' [N] = Σ_k op(B)[k, n]: a bias gradient when B is the output gradient).
 * Epilogues take 2-D operands (dims.batch 1).
 */
export interface MatmulEpilogue {
  bias?: boolean;
  activation?: GeluApproximation;
  savePreActivation?: boolean;
  residual?: boolean;
  sumBColumns?: boolean;
  /** Store the saved pre-activation as packed f16 (output 'pre' of halfStorageShape; mixed precision). */
  halfPreActivation?: boolean;
}

/** Operands the tiled kernel reads from packed f16 storage (f16 working copies of weights; needs the 'f16' variant). */
export interface MatmulHalfOperands {
  a?: boolean;
  b?: boolean;
}

/** Returns the cache-key text of `epilogue` ('' without one). */
export function epilogueKey(epilogue: MatmulEpilogue): string {
  const parts = [
    epilogue.bias ? 'bias' : '',
    epilogue.activation ? `gelu-${epilogue.activation}${epilogue.savePreActivation ? (epilogue.halfPreActivation ? '+pre16' : '+pre') : ''}` : '',
    epilogue.residual ? 'residual' : '',
    epilogue.sumBColumns ? 'colsum' : '',
  ].filter((part) => part !== '');
  return parts.length > 0 ? `,epilogue=${parts.join('+')}` : '';
}

/**
 * Returns the WGSL storing `result` (an f32 expression) at (row, column) of C (WGSL names `row`,
 * `column`, `outBase` in scope), after the epilogue's bias, GELU and residual.
 */
export function epilogueStore(epilogue: MatmulEpilogue, result = 'acc[i][j]'): string {
  const lines = [`var value = ${result};`];
  if (epilogue.bias) lines.push('value = value + bias[column];');
  if (epilogue.activation) {
    if (epilogue.savePreActivation) lines.push(`pre[outBase + row * uniforms.N + column] = ${epilogue.halfPreActivation ? 'toHalf(value)' : 'value'};`);
    lines.push(`value = ${geluExpression(epilogue.activation, 'value')};`);
  }
  if (epilogue.residual) lines.push('value = value + residual[outBase + row * uniforms.N + column];');
  lines.push('c[outBase + row * uniforms.N + column] = value;');
  return lines.join('\n        ');
}

/**
 * Returns the tiled shared-memory program; `half` stages tiles in f16 (f32 accumulation; a value past
 * the f16 range becomes NaN, so an overflow is seen, not hidden); `epilogue` adds work to its store;
 * `halfOperands` reads A or B from packed f16 storage (with `half` only).
 */
export function tiledMatmulProgram(dims: MatmulDims, half: boolean, epilogue: MatmulEpilogue = {}, halfOperands: MatmulHalfOperands = {}): WgslProgram {
  const element = half ? 'f16' : 'f32';
  const halfPre = half && epilogue.halfPreActivation === true;
  const halfBindings = half ? [...(halfOperands.a ? ['a'] : []), ...(halfOperands.b ? ['b'] : []), ...(halfPre ? ['pre'] : [])] : [];
  const outputs: ProgramOutput[] = [{ name: 'c', shape: matmulOutputShape(dims) }];
  if (epilogue.activation && epilogue.savePreActivation) {
    outputs.push({ name: 'pre', shape: halfPre ? halfStorageShape(matmulOutputShape(dims)) : matmulOutputShape(dims) });
  }
  if (epilogue.sumBColumns) outputs.push({ name: 'columnSums', shape: [dims.N] });
  const threads = THREADS * THREADS;
  // Which lane runs along the contiguous axis of each operand (coalesced loads).
  const aCoordinates = dims.transposeA ? `let r = e % ${TILE_M}u; let c = e / ${TILE_M}u;` : `let r = e / ${TILE_K}u; let c = e % ${TILE_K}u;`;
  const bCoordinates = dims.transposeB ? `let r = e % ${TILE_K}u; let c = e / ${TILE_K}u;` : `let r = e / ${TILE_N}u; let c = e % ${TILE_N}u;`;
  return {
    name: 'SteerLMMatMul',
    variant: half ? 'tiled-f16' : 'tiled-f32',
    inputs: ['a', 'b', ...(epilogue.bias ? ['bias'] : []), ...(epilogue.residual ? ['residual'] : [])],
    outputs,
    uniforms: matmulUniforms(dims),
    enables: half ? ['f16'] : [],
    ...(halfBindings.length > 0 ? { halfBindings } : {}),
    dispatch: [Math.ceil(dims.N / TILE_N), Math.ceil(dims.M / TILE_M), dims.batch],
    shapeIndependent: true,
    key: `tA=${dims.transposeA},tB=${dims.transposeB},tile=${TILE_M}x${TILE_N}x${TILE_K}${epilogueKey({ ...epilogue, halfPreActivation: halfPre })}`,
    body: /* wgsl */ `
${epilogue.activation ? geluHelpers : ''}
${half ? TO_HALF_WGSL : ''}
${loaders(dims)}
var<workgroup> tileA: array<${element}, ${TILE_M * TILE_K}>; // [TILE_K][TILE_M]
var<workgroup> tileB: array<${element}, ${TILE_K * TILE_N}>; // [TILE_K][TILE_N]

@compute @workgroup_size(${THREADS}, ${THREADS}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let batch = wid.z;
  let rowBase = wid.y * ${TILE_M}u;
  let columnBase = wid.x * ${TILE_N}u;
  let t = lid.y * ${THREADS}u + lid.x;
  var acc: array<array<f32, ${COLUMNS_PER_THREAD}>, ${ROWS_PER_THREAD}>;
  var columnSum = 0.0;
  for (var k0 = 0u; k0 < uniforms.K; k0 = k0 + ${TILE_K}u) {
    for (var e = t; e < ${TILE_M * TILE_K}u; e = e + ${threads}u) {
      ${aCoordinates}
      tileA[c * ${TILE_M}u + r] = ${half ? 'toHalf' : 'f32'}(loadA(batch, rowBase + r, k0 + c));
    }
    for (var e = t; e < ${TILE_K * TILE_N}u; e = e + ${threads}u) {
      ${bCoordinates}
      tileB[r * ${TILE_N}u + c] = ${half ? 'toHalf' : 'f32'}(loadB(batch, k0 + r, columnBase + c));
    }
    workgroupBarrier();
    ${
      epilogue.sumBColumns
        ? `if (wid.y == 0u && t < ${TILE_N}u) { for (var kk = 0u; kk < ${TILE_K}u; kk = kk + 1u) { columnSum = columnSum + f32(tileB[kk * ${TILE_N}u + t]); } }`
        : ''
    }
    for (var kk = 0u; kk < ${TILE_K}u; kk = kk + 1u) {
      var aRegister: array<f32, ${ROWS_PER_THREAD}>;
      var bRegister: array<f32, ${COLUMNS_PER_THREAD}>;
      for (var i = 0u; i < ${ROWS_PER_THREAD}u; i = i + 1u) { aRegister[i] = f32(tileA[kk * ${TILE_M}u + lid.y + i * ${THREADS}u]); }
      for (var j = 0u; j < ${COLUMNS_PER_THREAD}u; j = j + 1u) { bRegister[j] = f32(tileB[kk * ${TILE_N}u + lid.x + j * ${THREADS}u]); }
      for (var i = 0u; i < ${ROWS_PER_THREAD}u; i = i + 1u) {
        for (var j = 0u; j < ${COLUMNS_PER_THREAD}u; j = j + 1u) {
          acc[i][j] = fma(aRegister[i], bRegister[j], acc[i][j]);
        }
      }
    }
    workgroupBarrier();
  }
  let outBase = batch * uniforms.M * uniforms.N;
  ${epilogue.sumBColumns ? `if (wid.y == 0u && t < ${TILE_N}u && columnBase + t < uniforms.N) { columnSums[columnBase + t] = columnSum; }` : ''}
  for (var i = 0u; i < ${ROWS_PER_THREAD}u; i = i + 1u) {
    let row = rowBase + lid.y + i * ${THREADS}u;
    if (row >= uniforms.M) { continue; }
    for (var j = 0u; j < ${COLUMNS_PER_THREAD}u; j = j + 1u) {
      let column = columnBase + lid.x + j * ${THREADS}u;
      if (column < uniforms.N) {
        ${epilogueStore(epilogue)}
      }
    }
  }
}`,
  };
}
