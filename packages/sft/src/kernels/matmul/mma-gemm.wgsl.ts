/**
 * Shape legend: B batch, M rows of C, K reduction length, N columns of C (see matmul.reference.ts);
 * BM × BN output tile per workgroup, BK-deep K slabs; SM × SN × SK fragments (mma-primitives.ts).
 *
 * The subgroup-matrix GEMM: C = op(A)·op(B) with f16 operands and f32 accumulation, written once
 * against the matrix primitives of mma-primitives.ts and lowered either to real subgroup matrices or
 * to the emulation that runs on lavapipe (the two sources differ only there).
 * - Each workgroup computes a BM × BN tile of C (128 × 128 by default) with WM × WN = 2 × 2 subgroups,
 *   each holding (BM/WM/SM) × (BN/WN/SN) result fragments (4 × 4 of 16 × 16 on NVIDIA).
 * - K advances in BK-deep slabs through double-buffered f16 tiles in workgroup memory: while the
 *   subgroups multiply slab s from one buffer, every invocation has already fetched slab s + 1 from
 *   global memory into registers, and writes it to the other buffer afterwards (one barrier per slab).
 * - Global loads are 16-byte vec4 loads along each operand's contiguous axis (the tile is stored in
 *   that layout and the fragment load reads it column-major where the operand is transposed, so a
 *   transpose costs nothing) when that axis's length is a multiple of 4; otherwise four bounds-checked
 *   scalar loads. Rows and columns outside [M, K] / [K, N] read 0, so any size works.
 * - The result leaves through a per-subgroup f32 staging fragment in workgroup memory, where the store
 *   skips elements outside [M, N] and applies the tiled kernel's epilogues (bias, GELU with the saved
 *   pre-activation, residual; matmul.wgsl.ts). The column-sum epilogue is the tiled kernel's only.
 */
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import type { SubgroupMatrixConfig } from '../../backend';
import { geluHelpers } from '../activations/activations.wgsl';
import { TO_HALF_WGSL, type ProgramOutput, type WgslProgram } from '../runtime';
import { matmulOutputShape, type MatmulDims } from './matmul.reference';
import { epilogueKey, epilogueStore, matmulUniforms, type MatmulEpilogue } from './matmul.wgsl';
import { mmaPrimitives, type MmaLowering, type MmaShape } from './mma-primitives';

/** The tiling of one GEMM: fragment shape, invocations per subgroup, workgroup tile and subgroup grid. */
export interface MmaGemmTiling {
  fragment: MmaShape;
  subgroupSize: number;
  tileM: number;
  tileN: number;
  tileK: number;
  subgroupsM: number;
  subgroupsN: number;
}

/** Tiles tried in order (the first whose workgroup memory fits the device is used). */
const TILE_CANDIDATES: ReadonlyArray<Pick<MmaGemmTiling, 'tileM' | 'tileN' | 'tileK'>> = [
  { tileM: 128, tileN: 128, tileK: 32 },
  { tileM: 128, tileN: 128, tileK: 16 },
  { tileM: 64, tileN: 64, tileK: 32 },
  { tileM: 64, tileN: 64, tileK: 16 },
];

/**
 * Returns the bytes of workgroup memory `tiling` uses: two f16 buffers per operand and one f32 fragment
 * per subgroup. (No slack after the buffers: Tint's robustness transform checks a fragment load exactly,
 * offset + stride·(rows − 1) + columns ≤ the array's length.)
 */
export function mmaGemmWorkgroupBytes(tiling: MmaGemmTiling): number {
  const a = 2 * tiling.tileM * tiling.tileK;
  const b = 2 * tiling.tileK * tiling.tileN;
  const staging = tiling.subgroupsM * tiling.subgroupsN * tiling.fragment.M * tiling.fragment.N;
  return 2 * (a + b) + 4 * staging;
}

/** Returns why `tiling` cannot be generated, or null. */
function tilingProblem(tiling: MmaGemmTiling): string | null {
  const { fragment, subgroupSize, tileM, tileN, tileK, subgroupsM, subgroupsN } = tiling;
  if (tileM % (subgroupsM * fragment.M) !== 0 || tileN % (subgroupsN * fragment.N) !== 0 || tileK % fragment.K !== 0) {
    return `the ${tileM}×${tileN}×${tileK} tile is not a whole number of ${fragment.M}×${fragment.N}×${fragment.K} fragments per subgroup (${subgroupsM}×${subgroupsN} subgroups)`;
  }
  const threads = subgroupSize * subgroupsM * subgroupsN;
  for (const [name, elements] of [
    ['A', tileM * tileK],
    ['B', tileK * tileN],
  ] as const) {
    if (elements % (4 * threads) !== 0) return `the ${name} slab (${elements} elements) does not split into vec4 loads over ${threads} invocations`;
  }
  if (tileM % 4 !== 0 || tileN % 4 !== 0 || tileK % 4 !== 0) return 'tile sizes must be multiples of 4 (vec4 loads)';
  return null;
}

/**
 * Returns the tiling for fragments of `fragment` and subgroups of `subgroupSize` invocations: a
 * 2 × 2 grid of subgroups over the largest candidate tile (128 × 128 × 32 first) whose workgroup memory
 * fits `maxWorkgroupBytes`; throws ShapeError when none does.
 */
export function chooseMmaGemmTiling(fragment: MmaShape, subgroupSize: number, maxWorkgroupBytes: number): MmaGemmTiling {
  for (const candidate of TILE_CANDIDATES) {
    const tiling: MmaGemmTiling = { fragment: { M: fragment.M, N: fragment.N, K: fragment.K }, subgroupSize, subgroupsM: 2, subgroupsN: 2, ...candidate };
    if (tilingProblem(tiling) === null && mmaGemmWorkgroupBytes(tiling) <= maxWorkgroupBytes) return tiling;
  }
  throw new ShapeError(
    `no subgroup-matrix GEMM tile fits ${maxWorkgroupBytes} bytes of workgroup memory with ${fragment.M}×${fragment.N}×${fragment.K} fragments and subgroups of ${subgroupSize}`,
    { hint: 'use the tiled-f16 matmul variant on this device' },
  );
}

/** One operand's tile in workgroup memory: `outer` rows of `inner` elements, `inner` the operand's contiguous axis in global memory. */
interface OperandTile {
  name: 'a' | 'b';
  array: 'tileA' | 'tileB';
  outer: number;
  inner: number;
  /** WGSL of the global (outer, inner) coordinates of the slab's first element (`k0` = first k of the slab). */
  outerBase: string;
  innerBase: string;
  outerLimit: string;
  innerLimit: string;
  /** WGSL of the operand's leading dimension (elements between consecutive outer rows) and batch stride. */
  lead: string;
  batchStride: string;
  vector: boolean;
}

/** Returns the tiles of A and B for `dims` (each stored along its contiguous global axis). */
function operandTiles(dims: MatmulDims, tiling: MmaGemmTiling): [OperandTile, OperandTile] {
  const { tileM, tileN, tileK } = tiling;
  const a: OperandTile = dims.transposeA
    ? {
        name: 'a',
        array: 'tileA',
        outer: tileK,
        inner: tileM,
        outerBase: 'k0',
        innerBase: 'rowBase',
        outerLimit: 'uniforms.K',
        innerLimit: 'uniforms.M',
        lead: 'uniforms.M',
        batchStride: 'uniforms.batchStrideA',
        vector: dims.M % 4 === 0,
      }
    : {
        name: 'a',
        array: 'tileA',
        outer: tileM,
        inner: tileK,
        outerBase: 'rowBase',
        innerBase: 'k0',
        outerLimit: 'uniforms.M',
        innerLimit: 'uniforms.K',
        lead: 'uniforms.K',
        batchStride: 'uniforms.batchStrideA',
        vector: dims.K % 4 === 0,
      };
  const b: OperandTile = dims.transposeB
    ? {
        name: 'b',
        array: 'tileB',
        outer: tileN,
        inner: tileK,
        outerBase: 'columnBase',
        innerBase: 'k0',
        outerLimit: 'uniforms.N',
        innerLimit: 'uniforms.K',
        lead: 'uniforms.K',
        batchStride: 'uniforms.batchStrideB',
        vector: dims.K % 4 === 0,
      }
    : {
        name: 'b',
        array: 'tileB',
        outer: tileK,
        inner: tileN,
        outerBase: 'k0',
        innerBase: 'columnBase',
        outerLimit: 'uniforms.K',
        innerLimit: 'uniforms.N',
        lead: 'uniforms.N',
        batchStride: 'uniforms.batchStrideB',
        vector: dims.N % 4 === 0,
      };
  return [a, b];
}

/** WGSL fetchA / fetchB(batch, outer, inner) -> vec4<f32>: four consecutive elements along the contiguous axis, 0 outside the matrix. */
function fetchFunction(tile: OperandTile): string {
  const fn = `fetch${tile.name.toUpperCase()}`;
  if (tile.vector) {
    // The contiguous axis is a multiple of 4 long and chunks start at multiples of 4: a chunk is all in or all out.
    return /* wgsl */ `
fn ${fn}(batch: u32, outer: u32, inner: u32) -> vec4<f32> {
  if (outer >= ${tile.outerLimit} || inner >= ${tile.innerLimit}) { return vec4<f32>(0.0); }
  return ${tile.name}[(batch * ${tile.batchStride} + outer * ${tile.lead} + inner) / 4u];
}`;
  }
  return /* wgsl */ `
fn ${fn}(batch: u32, outer: u32, inner: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (outer >= ${tile.outerLimit}) { return v; }
  let base = batch * ${tile.batchStride} + outer * ${tile.lead};
  for (var q = 0u; q < 4u; q = q + 1u) {
    if (inner + q < ${tile.innerLimit}) { v[q] = ${tile.name}[base + inner + q]; }
  }
  return v;
}`;
}

/** Returns the WGSL fetching this invocation's share of `tile`'s slab starting at k0 into `stage<A|B>` (registers). */
function fetchSlab(tile: OperandTile, threads: number): string {
  const chunksPerRow = tile.inner / 4;
  const perThread = (tile.outer * tile.inner) / 4 / threads;
  const stage = `stage${tile.name.toUpperCase()}`;
  return `for (var p = 0u; p < ${perThread}u; p = p + 1u) {
      let e = lid + p * ${threads}u;
      ${stage}[p] = fetch${tile.name.toUpperCase()}(batch, ${tile.outerBase} + e / ${chunksPerRow}u, ${tile.innerBase} + (e % ${chunksPerRow}u) * 4u);
    }`;
}

/** Returns the WGSL writing `stage<A|B>` as f16 (toHalf: NaN past the f16 range, as the tiled kernel) into buffer `buffer` (a WGSL u32 expression) of the tile's workgroup array. */
function storeSlab(tile: OperandTile, threads: number, buffer: string): string {
  const chunksPerRow = tile.inner / 4;
  const perThread = (tile.outer * tile.inner) / 4 / threads;
  const stage = `stage${tile.name.toUpperCase()}`;
  return `for (var p = 0u; p < ${perThread}u; p = p + 1u) {
      let e = lid + p * ${threads}u;
      let at = ${buffer} * ${tile.outer * tile.inner}u + (e / ${chunksPerRow}u) * ${tile.inner}u + (e % ${chunksPerRow}u) * 4u;
      let v = ${stage}[p];
      ${tile.array}[at] = toHalf(v.x);
      ${tile.array}[at + 1u] = toHalf(v.y);
      ${tile.array}[at + 2u] = toHalf(v.z);
      ${tile.array}[at + 3u] = toHalf(v.w);
    }`;
}

/** Options of mmaGemmProgram. */
export interface MmaGemmOptions {
  lowering: MmaLowering;
  tiling: MmaGemmTiling;
  epilogue?: MatmulEpilogue;
}

/** Returns the subgroup-matrix GEMM program for `dims` with `options.lowering` (real or emulated primitives). */
export function mmaGemmProgram(dims: MatmulDims, options: MmaGemmOptions): WgslProgram {
  const { lowering, tiling } = options;
  const epilogue = options.epilogue ?? {};
  if (epilogue.sumBColumns) {
    throw new InvalidOptionError('the subgroup-matrix GEMM has no column-sum epilogue', {
      option: 'epilogue.sumBColumns',
      hint: 'use tiledMatmulProgram for a weight gradient with its bias gradient',
    });
  }
  const problem = tilingProblem(tiling);
  if (problem !== null) throw new ShapeError(`subgroup-matrix GEMM tiling: ${problem}`, { hint: 'use chooseMmaGemmTiling' });
  const { fragment, subgroupSize, tileM, tileN, tileK, subgroupsM, subgroupsN } = tiling;
  const { M: SM, N: SN, K: SK } = fragment;
  const subgroups = subgroupsM * subgroupsN;
  const threads = subgroups * subgroupSize;
  const fragmentsM = tileM / subgroupsM / SM;
  const fragmentsN = tileN / subgroupsN / SN;
  const [a, b] = operandTiles(dims, tiling);
  const primitives = mmaPrimitives(lowering, fragment, {
    // A fragment (r = m, c = k): tile [BM][BK] row-major, or [BK][BM] (transposed A) read column-major.
    a: { array: 'tileA', colMajor: dims.transposeA, stride: dims.transposeA ? tileM : tileK },
    // B fragment (r = k, c = n): tile [BK][BN] row-major, or [BN][BK] (transposed B) read column-major.
    b: { array: 'tileB', colMajor: dims.transposeB, stride: dims.transposeB ? tileK : tileN },
    c: { array: 'tileC', colMajor: false, stride: SN },
  });
  // Fragment offsets inside one buffer (WGSL u32 expressions of i, j and kk).
  const aOffset = dims.transposeA ? `kk * ${tileM}u + warpRow + i * ${SM}u` : `(warpRow + i * ${SM}u) * ${tileK}u + kk`;
  const bOffset = dims.transposeB ? `(warpColumn + j * ${SN}u) * ${tileK}u + kk` : `kk * ${tileN}u + warpColumn + j * ${SN}u`;
  const fragments = fragmentsM * fragmentsN;

  const outputs: ProgramOutput[] = [{ name: 'c', shape: matmulOutputShape(dims) }];
  if (epilogue.activation && epilogue.savePreActivation) outputs.push({ name: 'pre', shape: matmulOutputShape(dims) });
  const vectorInputs = [...(a.vector ? ['a'] : []), ...(b.vector ? ['b'] : [])];
  const bufferElementsA = tileM * tileK;
  const bufferElementsB = tileK * tileN;
  return {
    name: 'SteerLMMatMul',
    variant: lowering === 'subgroup-matrix' ? 'subgroup-matrix-f16' : 'subgroup-matrix-emulated-f16',
    inputs: ['a', 'b', ...(epilogue.bias ? ['bias'] : []), ...(epilogue.residual ? ['residual'] : [])],
    vectorInputs,
    outputs,
    uniforms: matmulUniforms(dims),
    enables: primitives.enables,
    dispatch: [Math.ceil(dims.N / tileN), Math.ceil(dims.M / tileM), dims.batch],
    shapeIndependent: true,
    key:
      `tA=${dims.transposeA},tB=${dims.transposeB},vec4=${vectorInputs.join('+') || 'none'},mma=${SM}x${SN}x${SK},sg=${subgroupSize},` +
      `tile=${tileM}x${tileN}x${tileK},grid=${subgroupsM}x${subgroupsN}${epilogueKey(epilogue)}`,
    body: /* wgsl */ `
${epilogue.activation ? geluHelpers : ''}
${TO_HALF_WGSL}
var<workgroup> tileA: array<f16, ${2 * bufferElementsA}>; // 2 buffers of ${dims.transposeA ? `[${tileK}][${tileM}] (k, m)` : `[${tileM}][${tileK}] (m, k)`}
var<workgroup> tileB: array<f16, ${2 * bufferElementsB}>; // 2 buffers of ${dims.transposeB ? `[${tileN}][${tileK}] (n, k)` : `[${tileK}][${tileN}] (k, n)`}
var<workgroup> tileC: array<f32, ${subgroups * SM * SN}>; // one ${SM}×${SN} result fragment per subgroup
${primitives.declarations}
${fetchFunction(a)}
${fetchFunction(b)}

/** Writes result fragment (i, j) of every subgroup from tileC to C, with the epilogue, inside [M, N]. */
fn writeFragments(batch: u32, rowBase: u32, columnBase: u32, i: u32, j: u32, lid: u32) {
  let outBase = batch * uniforms.M * uniforms.N;
  for (var e = lid; e < ${subgroups * SM * SN}u; e = e + ${threads}u) {
    let w = e / ${SM * SN}u;
    let row = rowBase + (w / ${subgroupsN}u) * ${tileM / subgroupsM}u + i * ${SM}u + (e / ${SN}u) % ${SM}u;
    let column = columnBase + (w % ${subgroupsN}u) * ${tileN / subgroupsN}u + j * ${SN}u + e % ${SN}u;
    if (row < uniforms.M && column < uniforms.N) {
      ${epilogueStore(epilogue, 'tileC[e]')}
    }
  }
}

@compute @workgroup_size(${threads}, 1, 1) ${primitives.entryAttributes}
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let batch = wid.z;
  let rowBase = wid.y * ${tileM}u;
  let columnBase = wid.x * ${tileN}u;
  // Subgroups are consecutive runs of subgroupSize invocations (workgroup_size.x is a multiple of the
  // subgroup size, as subgroup matrices require); a device where they are not fails the self-test.
  let warp = lid / ${subgroupSize}u;
  let warpRow = (warp / ${subgroupsN}u) * ${tileM / subgroupsM}u;
  let warpColumn = (warp % ${subgroupsN}u) * ${tileN / subgroupsN}u;
  // Result fragment (i, j) of this subgroup in acc[i * ${fragmentsN} + j] (constant-count loops, unrolled by the driver).
  var acc: array<MmaResult, ${fragments}>;
  for (var f = 0u; f < ${fragments}u; f = f + 1u) { acc[f] = mmaZero(); }
  var stageA: array<vec4<f32>, ${bufferElementsA / 4 / threads}>;
  var stageB: array<vec4<f32>, ${bufferElementsB / 4 / threads}>;
  let slabs = (uniforms.K + ${tileK - 1}u) / ${tileK}u;
  if (slabs > 0u) {
    let k0 = 0u;
    ${fetchSlab(a, threads)}
    ${fetchSlab(b, threads)}
    ${storeSlab(a, threads, '0u')}
    ${storeSlab(b, threads, '0u')}
  }
  workgroupBarrier();
  for (var s = 0u; s < slabs; s = s + 1u) {
    let current = s % 2u;
    let hasNext = s + 1u < slabs;
    // Fetch slab s + 1 into registers while slab s is multiplied from workgroup memory.
    if (hasNext) {
      let k0 = (s + 1u) * ${tileK}u;
      ${fetchSlab(a, threads)}
      ${fetchSlab(b, threads)}
    }
    let bufferA = current * ${bufferElementsA}u;
    let bufferB = current * ${bufferElementsB}u;
    for (var kk = 0u; kk < ${tileK}u; kk = kk + ${SK}u) {
      var left: array<MmaLeft, ${fragmentsM}>;
      for (var i = 0u; i < ${fragmentsM}u; i = i + 1u) { left[i] = mmaLoadA(bufferA + ${aOffset}); }
      for (var j = 0u; j < ${fragmentsN}u; j = j + 1u) {
        let right = mmaLoadB(bufferB + ${bOffset});
        for (var i = 0u; i < ${fragmentsM}u; i = i + 1u) { acc[i * ${fragmentsN}u + j] = mmaAccumulate(left[i], right, acc[i * ${fragmentsN}u + j]); }
      }
    }
    if (hasNext) {
      ${storeSlab(a, threads, '(1u - current)')}
      ${storeSlab(b, threads, '(1u - current)')}
    }
    workgroupBarrier();
  }
  for (var f = 0u; f < ${fragments}u; f = f + 1u) {
    mmaStoreC(warp * ${SM * SN}u, acc[f]);
    workgroupBarrier();
    writeFragments(batch, rowBase, columnBase, f / ${fragmentsN}u, f % ${fragmentsN}u, lid);
    workgroupBarrier();
  }
}`,
  };
}

/**
 * Returns the 'subgroup-matrix-f16' matmul program for the adapter's f16→f32 `config` and subgroups of
 * `subgroupSize` (the adapter's largest), tiled to fit `maxWorkgroupBytes` of workgroup memory.
 */
export function subgroupMatrixMatmulProgram(
  dims: MatmulDims,
  config: SubgroupMatrixConfig,
  subgroupSize: number,
  epilogue: MatmulEpilogue = {},
  maxWorkgroupBytes = 49152,
): WgslProgram {
  return mmaGemmProgram(dims, { lowering: 'subgroup-matrix', tiling: chooseMmaGemmTiling(config, subgroupSize, maxWorkgroupBytes), epilogue });
}
