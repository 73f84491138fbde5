/**
 * WGSL for fused causal self-attention (f32), flash style: no T×T matrix is ever stored.
 *
 * Shape legend: B batch, H query heads, Hkv key/value heads (query head h reads key/value head
 * h / (H / Hkv)), T time, D head size (a compile-time constant of each shader; any D >= 1).
 * Buffers, row-major: q, out, dOut, dq [B, H, T, D]; k, v, dk, dv [B, Hkv, T, D];
 * logSumExp [B, H, T]; rowStats [2, B, H, T] (log-sum-exp, then delta = rowsum(dOut ∘ out));
 * mask [2, B, T] as i32 (segment id of each position, then 1 where the key is not padding).
 *
 * Passes:
 *   forward       one invocation per query row; the workgroup streams K/V tiles through workgroup
 *                 memory up to the causal limit, keeping an online softmax (running max m, running
 *                 sum l, unnormalised output); writes out and log-sum-exp = m + log(l).
 *   rowStats      backward preprocess (FlashAttention-2): delta_i = Σ_d dOut_id · out_id.
 *   backwardQuery one invocation per query row; recomputes P_ij = exp(scale q_i·k_j - lse_i) and
 *                 accumulates dq_i = scale Σ_j P_ij (dOut_i·v_j - delta_i) k_j.
 *   backwardKeyValue one invocation per key row of one KV head; loops over the query heads of its
 *                 group and over query tiles at or after it, accumulating dk_j and dv_j privately —
 *                 each dk/dv element has exactly one writer, so there are no races and no atomics.
 * A query with no visible key gets out = 0 and log-sum-exp = -Infinity (as the reference).
 */
import type { AttentionShape } from './attention.reference';
import { workgroupGrid, type UniformField, type WgslProgram } from '../runtime';

/** Tile sizes and head size that one set of attention shaders is compiled for. */
export interface AttentionTiling {
  /** D */
  headDim: number;
  /** Query rows per workgroup in forward/backwardQuery (one invocation each). */
  queryBlock: number;
  /** Keys staged in workgroup memory per step in forward/backwardQuery. */
  keyBlock: number;
  /** Key rows per workgroup in backwardKeyValue (one invocation each). */
  keyRowsBlock: number;
  /** Query rows staged in workgroup memory per step in backwardKeyValue. */
  queryTileBlock: number;
}

/** Invocations per workgroup of the rowStats pass. */
export const ROW_STATS_WORKGROUP = 64;

/** Returns tile sizes for head size D that fit `workgroupStorageBytes` of workgroup memory (16 KiB is WebGPU's guaranteed minimum). */
export function attentionTiling(headDim: number, workgroupStorageBytes = 16384, rowsPerWorkgroup = 64): AttentionTiling {
  const floats = Math.floor(workgroupStorageBytes / 4);
  // forward / backwardQuery stage K and V tiles plus two i32 per key: keyBlock * (2D + 2) floats.
  const keyBlock = Math.max(1, Math.min(32, Math.floor(floats / (2 * headDim + 2))));
  // backwardKeyValue stages q, dOut tiles plus lse, delta, segment per query: block * (2D + 3).
  const queryTileBlock = Math.max(1, Math.min(32, Math.floor(floats / (2 * headDim + 3))));
  return { headDim, queryBlock: rowsPerWorkgroup, keyBlock, keyRowsBlock: rowsPerWorkgroup, queryTileBlock };
}

/**
 * Where q, k, v, out (and their gradients) live: 'heads' = separate [B, heads, T, D] tensors;
 * 'packed' = one qkv [B·T, (H + 2·Hkv)·D] tensor (q | k | v, heads side by side, as GPT-2's c_attn
 * makes it) bound as q, k and v, with out, dOut, dq [B·T, H·D] and dk, dv [B·T, Hkv·D] — no split,
 * no transposes around the kernels.
 */
export type AttentionLayout = 'heads' | 'packed';

/** Returns the WGSL index helpers of `layout`: where row t of head h of batch b starts in each buffer. */
export function layoutFunctions(layout: AttentionLayout): string {
  if (layout === 'heads') {
    return /* wgsl */ `fn qIndex(b: u32, h: u32, t: u32) -> u32 { return ((b * uniforms.heads + h) * uniforms.time + t) * D; }
fn oIndex(b: u32, h: u32, t: u32) -> u32 { return qIndex(b, h, t); }
fn kIndex(b: u32, kvh: u32, t: u32) -> u32 { return ((b * uniforms.kvHeads + kvh) * uniforms.time + t) * D; }
fn vIndex(b: u32, kvh: u32, t: u32) -> u32 { return kIndex(b, kvh, t); }
fn kvOutIndex(b: u32, kvh: u32, t: u32) -> u32 { return kIndex(b, kvh, t); }`;
  }
  return /* wgsl */ `fn packedRow(b: u32, t: u32) -> u32 { return (b * uniforms.time + t) * (uniforms.heads + 2u * uniforms.kvHeads) * D; }
fn qIndex(b: u32, h: u32, t: u32) -> u32 { return packedRow(b, t) + h * D; }
fn kIndex(b: u32, kvh: u32, t: u32) -> u32 { return packedRow(b, t) + (uniforms.heads + kvh) * D; }
fn vIndex(b: u32, kvh: u32, t: u32) -> u32 { return packedRow(b, t) + (uniforms.heads + uniforms.kvHeads + kvh) * D; }
fn oIndex(b: u32, h: u32, t: u32) -> u32 { return ((b * uniforms.time + t) * uniforms.heads + h) * D; }
fn kvOutIndex(b: u32, kvh: u32, t: u32) -> u32 { return ((b * uniforms.time + t) * uniforms.kvHeads + kvh) * D; }`;
}

/** The sizes and scale one attention call runs with (T and the batch/head counts are uniforms). */
export interface AttentionDims extends AttentionShape {
  scale: number;
}

/** Returns the uniforms every attention pass reads: batch, heads, kvHeads, time, group (H / Hkv) and scale. */
export function uniformsOf(dims: AttentionDims): UniformField[] {
  return [
    { name: 'batch', type: 'u32', value: dims.batch },
    { name: 'heads', type: 'u32', value: dims.heads },
    { name: 'kvHeads', type: 'u32', value: dims.kvHeads },
    { name: 'time', type: 'u32', value: dims.time },
    { name: 'group', type: 'u32', value: dims.heads / dims.kvHeads },
    { name: 'scale', type: 'f32', value: dims.scale },
  ];
}

function tilingKey(tiling: AttentionTiling): string {
  return `D${tiling.headDim}-q${tiling.queryBlock}-k${tiling.keyBlock}-kr${tiling.keyRowsBlock}-qt${tiling.queryTileBlock}`;
}

/** Returns the forward program: inputs q, k, v, mask [2, B, T] (i32) → out [B, H, T, D], logSumExp [B, H, T]. */
export function attentionForwardProgram(dims: AttentionDims, tiling: AttentionTiling, layout: AttentionLayout = 'heads'): WgslProgram {
  const { batch: B, heads: H, time: T, headDim: D } = dims;
  return {
    name: 'attention-forward',
    variant: layout === 'packed' ? 'flash-f32-packed' : 'flash-f32',
    inputs: ['q', 'k', 'v', 'mask'],
    outputs: [
      { name: 'out', shape: layout === 'packed' ? [B * T, H * D] : [B, H, T, D] },
      { name: 'logSumExp', shape: [B, H, T] },
    ],
    uniforms: uniformsOf(dims),
    dispatch: [Math.ceil(T / tiling.queryBlock), B * H, 1],
    body: attentionForwardWgsl(tiling, layout),
    shapeIndependent: true,
    key: tilingKey(tiling),
  };
}

/** Returns the backward preprocess program: inputs out, dOut, logSumExp → rowStats [2, B, H, T] (lse, delta). */
export function attentionRowStatsProgram(dims: AttentionDims, tiling: AttentionTiling, layout: AttentionLayout = 'heads'): WgslProgram {
  const { batch: B, heads: H, time: T } = dims;
  return {
    name: 'attention-row-stats',
    variant: layout === 'packed' ? 'f32-packed' : 'f32',
    inputs: ['out', 'dOut', 'logSumExp'],
    outputs: [{ name: 'rowStats', shape: [2, B, H, T] }],
    uniforms: uniformsOf(dims),
    dispatch: workgroupGrid(Math.ceil((B * H * T) / ROW_STATS_WORKGROUP)),
    body: attentionRowStatsWgsl(tiling, layout),
    shapeIndependent: true,
    key: tilingKey(tiling),
  };
}

/** Returns the dq program: inputs q, k, v, dOut, rowStats, mask → dq [B, H, T, D]. */
export function attentionBackwardQueryProgram(dims: AttentionDims, tiling: AttentionTiling, layout: AttentionLayout = 'heads'): WgslProgram {
  const { batch: B, heads: H, time: T, headDim: D } = dims;
  return {
    name: 'attention-backward-query',
    variant: layout === 'packed' ? 'flash-f32-packed' : 'flash-f32',
    inputs: ['q', 'k', 'v', 'dOut', 'rowStats', 'mask'],
    outputs: [{ name: 'dq', shape: layout === 'packed' ? [B * T, H * D] : [B, H, T, D] }],
    uniforms: uniformsOf(dims),
    dispatch: [Math.ceil(T / tiling.queryBlock), B * H, 1],
    body: attentionBackwardQueryWgsl(tiling, layout),
    shapeIndependent: true,
    key: tilingKey(tiling),
  };
}

/**
 * Returns the dk/dv program: inputs q, k, v, dOut, rowStats, mask → dk, dv [B, Hkv, T, D] (summed over
 * each group); packed: inputs … mask, dq [B·T, H·D] → dqkv [B·T, (H + 2·Hkv)·D].
 */
export function attentionBackwardKeyValueProgram(dims: AttentionDims, tiling: AttentionTiling, layout: AttentionLayout = 'heads'): WgslProgram {
  const { batch: B, kvHeads: Hkv, time: T, headDim: D } = dims;
  const packed = layout === 'packed';
  return {
    name: 'attention-backward-key-value',
    variant: packed ? 'flash-f32-packed' : 'flash-f32',
    // Packed: the dq pass's output comes in too, and the whole d(qkv) goes out.
    inputs: ['q', 'k', 'v', 'dOut', 'rowStats', 'mask', ...(packed ? ['dq'] : [])],
    outputs: packed
      ? [{ name: 'dqkv', shape: [B * T, (dims.heads + 2 * Hkv) * D] }]
      : [
          { name: 'dk', shape: [B, Hkv, T, D] },
          { name: 'dv', shape: [B, Hkv, T, D] },
        ],
    uniforms: uniformsOf(dims),
    dispatch: [Math.ceil(T / tiling.keyRowsBlock), B * Hkv, 1],
    body: attentionBackwardKeyValueWgsl(tiling, layout),
    shapeIndependent: true,
    key: tilingKey(tiling),
  };
}

/**
 * WGSL shared by the query-tile passes (forward and dq), after `row` (b·H + h) and before the pass's own
 * state: this invocation's query `i` (clamped to `iSafe` past T) and where its q, k/v and mask entries start.
 */
const QUERY_ROW_SETUP = /* wgsl */ `  let b = row / uniforms.heads;
  let kvHead = (row % uniforms.heads) / uniforms.group;
  let firstQuery = workgroup.x * QUERY_BLOCK;
  let i = firstQuery + local;
  let inRange = i < T;
  let iSafe = min(i, T - 1u);
  let h = row % uniforms.heads;
  let qBase = qIndex(b, h, iSafe);
  let oBase = oIndex(b, h, iSafe);
  let segment = mask[b * T + iSafe];
  let validOffset = uniforms.batch * T;`;

/**
 * WGSL shared by the query-tile passes: opens the loop over the key tiles up to the block's last query and
 * loads tile `tile`'s K, V, key segments and key validity into workgroup memory (then a barrier).
 */
const KEY_TILE_LOAD = /* wgsl */ `  let lastQuery = min(firstQuery + QUERY_BLOCK, T) - 1u;
  let tiles = lastQuery / KEY_BLOCK + 1u;
  for (var tile = 0u; tile < tiles; tile++) {
    let firstKey = tile * KEY_BLOCK;
    for (var e = local; e < KEY_BLOCK * D; e += QUERY_BLOCK) {
      let j = firstKey + e / D;
      if (j < T) {
        kTile[e] = k[kIndex(b, kvHead, j) + e % D];
        vTile[e] = v[vIndex(b, kvHead, j) + e % D];
      }
    }
    for (var c = local; c < KEY_BLOCK; c += QUERY_BLOCK) {
      let j = firstKey + c;
      if (j < T) {
        keySegment[c] = mask[b * T + j];
        keyValid[c] = mask[validOffset + b * T + j];
      } else {
        keyValid[c] = 0;
      }
    }
    workgroupBarrier();`;

/** Returns the body of the forward pass (bindings q, k, v, mask, out, logSumExp, uniforms come from the runtime). */
export function attentionForwardWgsl(tiling: AttentionTiling, layout: AttentionLayout = 'heads'): string {
  const { headDim: D, queryBlock, keyBlock } = tiling;
  return /* wgsl */ `
const D: u32 = ${D}u;
${layoutFunctions(layout)}
const QUERY_BLOCK: u32 = ${queryBlock}u;
const KEY_BLOCK: u32 = ${keyBlock}u;
const MASKED: f32 = -3.0e38;

var<workgroup> kTile: array<f32, ${keyBlock * D}>;
var<workgroup> vTile: array<f32, ${keyBlock * D}>;
var<workgroup> keySegment: array<i32, ${keyBlock}>;
var<workgroup> keyValid: array<i32, ${keyBlock}>;

@compute @workgroup_size(${queryBlock})
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let T = uniforms.time;
  let row = workgroup.y;                       // b * H + h
${QUERY_ROW_SETUP}

  var qRow: array<f32, ${D}>;
  var acc: array<f32, ${D}>;
  for (var d = 0u; d < D; d++) {
    qRow[d] = q[qBase + d] * uniforms.scale;
    acc[d] = 0.0;
  }
  var runningMax = MASKED;
  var runningSum = 0.0;
  var scores: array<f32, ${keyBlock}>;

${KEY_TILE_LOAD}
    if (inRange) {
      var tileMax = MASKED;
      for (var c = 0u; c < KEY_BLOCK; c++) {
        let j = firstKey + c;
        var s = MASKED;
        if (j <= i && keyValid[c] != 0 && keySegment[c] == segment) {
          s = 0.0;
          for (var d = 0u; d < D; d++) {
            s += qRow[d] * kTile[c * D + d];
          }
          tileMax = max(tileMax, s);
        }
        scores[c] = s;
      }
      if (tileMax > MASKED) {
        let newMax = max(runningMax, tileMax);
        let correction = exp(runningMax - newMax);
        runningSum *= correction;
        for (var d = 0u; d < D; d++) {
          acc[d] *= correction;
        }
        for (var c = 0u; c < KEY_BLOCK; c++) {
          if (scores[c] > MASKED) {
            let p = exp(scores[c] - newMax);
            runningSum += p;
            for (var d = 0u; d < D; d++) {
              acc[d] += p * vTile[c * D + d];
            }
          }
        }
        runningMax = newMax;
      }
    }
    workgroupBarrier();
  }

  if (inRange) {
    let outBase = oBase;
    if (runningSum > 0.0) {
      let inverse = 1.0 / runningSum;
      for (var d = 0u; d < D; d++) {
        out[outBase + d] = acc[d] * inverse;
      }
      logSumExp[row * T + i] = runningMax + log(runningSum);
    } else {
      for (var d = 0u; d < D; d++) {
        out[outBase + d] = 0.0;
      }
      var negativeInfinityBits = 0xff800000u;  // a var, so it is not const-evaluated (consts cannot be -inf)
      logSumExp[row * T + i] = bitcast<f32>(negativeInfinityBits);
    }
  }
}
`;
}

/** Returns the body of the backward preprocess (bindings out, dOut, logSumExp, rowStats, uniforms). */
export function attentionRowStatsWgsl(tiling: AttentionTiling, layout: AttentionLayout = 'heads'): string {
  const { headDim: D } = tiling;
  return /* wgsl */ `
const D: u32 = ${D}u;
${layoutFunctions(layout)}

@compute @workgroup_size(${ROW_STATS_WORKGROUP})
fn main(
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let rows = uniforms.batch * uniforms.heads * uniforms.time;
  let row = (workgroup.y * groups.x + workgroup.x) * ${ROW_STATS_WORKGROUP}u + local;
  if (row >= rows) {
    return;
  }
  let t = row % uniforms.time;
  let bh = row / uniforms.time;
  let base = oIndex(bh / uniforms.heads, bh % uniforms.heads, t);
  var delta = 0.0;
  for (var d = 0u; d < D; d++) {
    delta += dOut[base + d] * out[base + d];
  }
  rowStats[row] = logSumExp[row];
  rowStats[rows + row] = delta;
}
`;
}

/** Returns the body of the dq pass (bindings q, k, v, dOut, rowStats, mask, dq, uniforms). */
export function attentionBackwardQueryWgsl(tiling: AttentionTiling, layout: AttentionLayout = 'heads'): string {
  const { headDim: D, queryBlock, keyBlock } = tiling;
  return /* wgsl */ `
const D: u32 = ${D}u;
${layoutFunctions(layout)}
const QUERY_BLOCK: u32 = ${queryBlock}u;
const KEY_BLOCK: u32 = ${keyBlock}u;

var<workgroup> kTile: array<f32, ${keyBlock * D}>;
var<workgroup> vTile: array<f32, ${keyBlock * D}>;
var<workgroup> keySegment: array<i32, ${keyBlock}>;
var<workgroup> keyValid: array<i32, ${keyBlock}>;

@compute @workgroup_size(${queryBlock})
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let T = uniforms.time;
  let rows = uniforms.batch * uniforms.heads * T;
  let row = workgroup.y;
${QUERY_ROW_SETUP}
  let lse = rowStats[row * T + iSafe];
  let delta = rowStats[rows + row * T + iSafe];

  var qRow: array<f32, ${D}>;
  var dOutRow: array<f32, ${D}>;
  var dqAcc: array<f32, ${D}>;
  for (var d = 0u; d < D; d++) {
    qRow[d] = q[qBase + d] * uniforms.scale;
    dOutRow[d] = dOut[oBase + d];
    dqAcc[d] = 0.0;
  }

${KEY_TILE_LOAD}
    if (inRange) {
      for (var c = 0u; c < KEY_BLOCK; c++) {
        let j = firstKey + c;
        if (j <= i && keyValid[c] != 0 && keySegment[c] == segment) {
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < D; d++) {
            s += qRow[d] * kTile[c * D + d];
            dp += dOutRow[d] * vTile[c * D + d];
          }
          let ds = exp(s - lse) * (dp - delta);
          for (var d = 0u; d < D; d++) {
            dqAcc[d] += ds * kTile[c * D + d];
          }
        }
      }
    }
    workgroupBarrier();
  }

  if (inRange) {
    for (var d = 0u; d < D; d++) {
      dq[oBase + d] = dqAcc[d] * uniforms.scale;
    }
  }
}
`;
}

/** Returns the body of the dk/dv pass (bindings q, k, v, dOut, rowStats, mask, dk, dv, uniforms). */
export function attentionBackwardKeyValueWgsl(tiling: AttentionTiling, layout: AttentionLayout = 'heads'): string {
  const { headDim: D, keyRowsBlock, queryTileBlock } = tiling;
  return /* wgsl */ `
const D: u32 = ${D}u;
${layoutFunctions(layout)}
const KEY_ROWS: u32 = ${keyRowsBlock}u;
const QUERY_TILE: u32 = ${queryTileBlock}u;

var<workgroup> qTile: array<f32, ${queryTileBlock * D}>;
var<workgroup> dOutTile: array<f32, ${queryTileBlock * D}>;
var<workgroup> querySegment: array<i32, ${queryTileBlock}>;
var<workgroup> queryLse: array<f32, ${queryTileBlock}>;
var<workgroup> queryDelta: array<f32, ${queryTileBlock}>;

@compute @workgroup_size(${keyRowsBlock})
fn main(@builtin(workgroup_id) workgroup: vec3<u32>, @builtin(local_invocation_index) local: u32) {
  let T = uniforms.time;
  let rows = uniforms.batch * uniforms.heads * T;
  let kvRow = workgroup.y;                     // b * Hkv + kvHead
  let b = kvRow / uniforms.kvHeads;
  let kvHead = kvRow % uniforms.kvHeads;
  let firstKey = workgroup.x * KEY_ROWS;
  let j = firstKey + local;
  let iSafe = min(j, T - 1u);
  let kBase = kIndex(b, kvHead, iSafe);
  let vBase = vIndex(b, kvHead, iSafe);
  let inRange = j < T && mask[uniforms.batch * T + b * T + iSafe] != 0;
  let segment = mask[b * T + iSafe];

  var kRow: array<f32, ${D}>;
  var vRow: array<f32, ${D}>;
  var dkAcc: array<f32, ${D}>;
  var dvAcc: array<f32, ${D}>;
  for (var d = 0u; d < D; d++) {
    kRow[d] = k[kBase + d] * uniforms.scale;
    vRow[d] = v[vBase + d];
    dkAcc[d] = 0.0;
    dvAcc[d] = 0.0;
  }

  let firstTile = firstKey / QUERY_TILE;
  let tiles = (T + QUERY_TILE - 1u) / QUERY_TILE;
  for (var g = 0u; g < uniforms.group; g++) {
    let row = b * uniforms.heads + kvHead * uniforms.group + g;   // b * H + h
    for (var tile = firstTile; tile < tiles; tile++) {
      let firstQuery = tile * QUERY_TILE;
      for (var e = local; e < QUERY_TILE * D; e += KEY_ROWS) {
        let i = firstQuery + e / D;
        if (i < T) {
          qTile[e] = q[qIndex(b, kvHead * uniforms.group + g, i) + e % D];
          dOutTile[e] = dOut[oIndex(b, kvHead * uniforms.group + g, i) + e % D];
        }
      }
      for (var r = local; r < QUERY_TILE; r += KEY_ROWS) {
        let i = firstQuery + r;
        if (i < T) {
          querySegment[r] = mask[b * T + i];
          queryLse[r] = rowStats[row * T + i];
          queryDelta[r] = rowStats[rows + row * T + i];
        }
      }
      workgroupBarrier();
      if (inRange) {
        for (var r = 0u; r < QUERY_TILE; r++) {
          let i = firstQuery + r;
          if (i >= j && i < T && querySegment[r] == segment) {
            var s = 0.0;
            var dp = 0.0;
            for (var d = 0u; d < D; d++) {
              s += qTile[r * D + d] * kRow[d];
              dp += dOutTile[r * D + d] * vRow[d];
            }
            let p = exp(s - queryLse[r]);
            let ds = p * (dp - queryDelta[r]);
            for (var d = 0u; d < D; d++) {
              dvAcc[d] += p * dOutTile[r * D + d];
              dkAcc[d] += ds * qTile[r * D + d];
            }
          }
        }
      }
      workgroupBarrier();
    }
  }

  if (j < T) {
${layout === 'packed' ? PACKED_GRADIENT_STORE : HEADS_GRADIENT_STORE}
  }
}
`;
}

/** The dk/dv pass's store in the 'heads' layout: dk and dv [B, Hkv, T, D]. */
const HEADS_GRADIENT_STORE = /* wgsl */ `    let kvOut = kvOutIndex(b, kvHead, j);
    for (var d = 0u; d < D; d++) {
      dk[kvOut + d] = dkAcc[d] * uniforms.scale;
      dv[kvOut + d] = dvAcc[d];
    }`;

/**
 * The dk/dv pass's store in the 'packed' layout: row j of dqkv [B·T, (H + 2·Hkv)·D] — this key's dk and
 * dv, and the dq rows of the query heads of its group copied from the dq pass's output — so the
 * gradient of qkv needs no concat.
 */
const PACKED_GRADIENT_STORE = /* wgsl */ `    let rowBase = packedRow(b, j);
    for (var g = 0u; g < uniforms.group; g++) {
      let h = kvHead * uniforms.group + g;
      for (var d = 0u; d < D; d++) {
        dqkv[rowBase + h * D + d] = dq[oIndex(b, h, j) + d];
      }
    }
    for (var d = 0u; d < D; d++) {
      dqkv[rowBase + (uniforms.heads + kvHead) * D + d] = dkAcc[d] * uniforms.scale;
      dqkv[rowBase + (uniforms.heads + uniforms.kvHeads + kvHead) * D + d] = dvAcc[d];
    }`;
