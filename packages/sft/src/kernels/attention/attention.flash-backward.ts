/**
 * The whole backward pass of flash attention (f32) in one dispatch, FlashAttention-2 style: the
 * probabilities are recomputed tile by tile from q, k and the forward's log-sum-exp, and
 * delta = rowsum(dOut ∘ out) is computed where it is needed instead of in a preprocess pass.
 *
 * Shape legend: B batch, H query heads, Hkv key/value heads (query head h reads key/value head
 * h / (H / Hkv)), T time, D head size (a compile-time constant of each shader).
 * Buffers as in attention.wgsl.ts ('heads' or 'packed' layout): q, k, v (packed: qkv bound three
 * times), out, dOut, logSumExp [B, H, T], mask [2, B, T] (i32) → dq, dk, dv ('heads') or the whole
 * d(qkv) [B·T, (H + 2·Hkv)·D] ('packed').
 *
 * The 2 · ceil(T / ROWS) · B·H workgroups (a workgroupGrid) are numbered x + 2 · ceil(T / ROWS) · y, and
 * a workgroup takes one of two roles by its x:
 *   key rows   (x < ceil(T / ROWS), y < B·Hkv): ROWS keys of one key/value head; streams the query
 *              tiles at or after them, of every query head of the group, through workgroup memory and
 *              accumulates dk_j = scale Σ_i dS_ij q_i and dv_j = Σ_i P_ij dOut_i privately (y ≥ B·Hkv:
 *              nothing to do with grouped-query heads);
 *   query rows (the other x): ROWS queries of one query head; streams the key tiles up to the causal
 *              limit and accumulates dq_i = scale Σ_j dS_ij k_j.
 * Each element of dq, dk, dv has exactly one writer: no atomics, no second pass, no concat, and the
 * two roles run side by side on the GPU. The roles share workgroup memory (one pair of [TILE, D]
 * tiles and four [TILE] rows), so a tile fits what the forward's does.
 */
import { workgroupGrid, type WgslProgram } from '../runtime';
import { layoutFunctions, uniformsOf, type AttentionDims, type AttentionLayout } from './attention.wgsl';

/** Tile sizes and head size that one flash-backward shader is compiled for. */
export interface FlashBackwardTiling {
  /** D */
  headDim: number;
  /** Rows (queries or keys) per workgroup, one invocation each: the workgroup size. */
  rowsBlock: number;
  /** Rows (keys or queries) staged in workgroup memory per step. */
  tileBlock: number;
}

/** Returns tile sizes for head size D that fit `workgroupStorageBytes` of workgroup memory (16 KiB is WebGPU's guaranteed minimum). */
export function flashBackwardTiling(headDim: number, workgroupStorageBytes = 16384, rowsBlock = 64): FlashBackwardTiling {
  // Two [TILE, D] f32 tiles plus segment, validity, log-sum-exp and delta per staged row: TILE · (2D + 4) floats.
  const floats = Math.floor(workgroupStorageBytes / 4);
  const tileBlock = Math.max(1, Math.min(32, Math.floor(floats / (2 * headDim + 4))));
  return { headDim, rowsBlock, tileBlock };
}

/** Returns the bytes of workgroup memory a shader of `tiling` declares. */
export function flashBackwardWorkgroupBytes(tiling: FlashBackwardTiling): number {
  return tiling.tileBlock * (2 * tiling.headDim + 4) * 4;
}

/**
 * Returns the single-dispatch backward program: inputs q, k, v, out, dOut, logSumExp, mask → dq, dk, dv
 * ('heads') or dqkv ('packed'; bind qkv as q, k and v).
 */
export function attentionFlashBackwardProgram(dims: AttentionDims, tiling: FlashBackwardTiling, layout: AttentionLayout = 'heads'): WgslProgram {
  const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = dims;
  const blocks = Math.ceil(T / tiling.rowsBlock);
  return {
    name: 'attention-flash-backward',
    variant: layout === 'packed' ? 'flash-f32-packed' : 'flash-f32',
    inputs: ['q', 'k', 'v', 'out', 'dOut', 'logSumExp', 'mask'],
    outputs:
      layout === 'packed'
        ? [{ name: 'dqkv', shape: [B * T, (H + 2 * Hkv) * D] }]
        : [
            { name: 'dq', shape: [B, H, T, D] },
            { name: 'dk', shape: [B, Hkv, T, D] },
            { name: 'dv', shape: [B, Hkv, T, D] },
          ],
    uniforms: uniformsOf(dims),
    dispatch: workgroupGrid(2 * blocks * B * H),
    body: attentionFlashBackwardWgsl(tiling, layout),
    shapeIndependent: true,
    key: `D${D}-r${tiling.rowsBlock}-t${tiling.tileBlock}`,
  };
}

/** Returns the body of the single-dispatch backward (bindings q, k, v, out, dOut, logSumExp, mask, the gradients, uniforms). */
export function attentionFlashBackwardWgsl(tiling: FlashBackwardTiling, layout: AttentionLayout = 'heads'): string {
  const { headDim: D, rowsBlock, tileBlock } = tiling;
  const packed = layout === 'packed';
  const [dqArray, dkArray, dvArray] = packed ? ['dqkv', 'dqkv', 'dqkv'] : ['dq', 'dk', 'dv'];
  return /* wgsl */ `
const D: u32 = ${D}u;
${layoutFunctions(layout)}
const ROWS: u32 = ${rowsBlock}u;
const TILE: u32 = ${tileBlock}u;

// Key rows: q and dOut tiles; query rows: k and v tiles.
var<workgroup> tileA: array<f32, ${tileBlock * D}>;
var<workgroup> tileB: array<f32, ${tileBlock * D}>;
var<workgroup> tileSegment: array<i32, ${tileBlock}>;
var<workgroup> tileValid: array<i32, ${tileBlock}>;
var<workgroup> tileLse: array<f32, ${tileBlock}>;
var<workgroup> tileDelta: array<f32, ${tileBlock}>;

// delta = rowsum(dOut ∘ out) of query t of head h of batch row b.
fn rowDelta(b: u32, h: u32, t: u32) -> f32 {
  let base = oIndex(b, h, t);
  var delta = 0.0;
  for (var d = 0u; d < D; d++) {
    delta += dOut[base + d] * out[base + d];
  }
  return delta;
}

// dk, dv of keys block·ROWS + local of key/value head kvRow = b·Hkv + kvHead.
fn keyRows(block: u32, kvRow: u32, local: u32) {
  let T = uniforms.time;
  let b = kvRow / uniforms.kvHeads;
  let kvHead = kvRow % uniforms.kvHeads;
  let firstKey = block * ROWS;
  let j = firstKey + local;
  let jSafe = min(j, T - 1u);
  let inRange = j < T && mask[uniforms.batch * T + b * T + jSafe] != 0;
  let segment = mask[b * T + jSafe];

  var kRow: array<f32, ${D}>;
  var vRow: array<f32, ${D}>;
  var dkAcc: array<f32, ${D}>;
  var dvAcc: array<f32, ${D}>;
  let kBase = kIndex(b, kvHead, jSafe);
  let vBase = vIndex(b, kvHead, jSafe);
  for (var d = 0u; d < D; d++) {
    kRow[d] = k[kBase + d] * uniforms.scale;
    vRow[d] = v[vBase + d];
    dkAcc[d] = 0.0;
    dvAcc[d] = 0.0;
  }

  let firstTile = firstKey / TILE;
  let tiles = (T + TILE - 1u) / TILE;
  for (var g = 0u; g < uniforms.group; g++) {
    let h = kvHead * uniforms.group + g;
    let row = b * uniforms.heads + h;
    for (var tile = firstTile; tile < tiles; tile++) {
      let firstQuery = tile * TILE;
      for (var e = local; e < TILE * D; e += ROWS) {
        let i = firstQuery + e / D;
        if (i < T) {
          tileA[e] = q[qIndex(b, h, i) + e % D];
          tileB[e] = dOut[oIndex(b, h, i) + e % D];
        }
      }
      for (var r = local; r < TILE; r += ROWS) {
        let i = firstQuery + r;
        if (i < T) {
          tileSegment[r] = mask[b * T + i];
          tileLse[r] = logSumExp[row * T + i];
          tileDelta[r] = rowDelta(b, h, i);
        }
      }
      workgroupBarrier();
      if (inRange) {
        for (var r = 0u; r < TILE; r++) {
          let i = firstQuery + r;
          // A query that sees key j (valid, same segment, i >= j) has a finite log-sum-exp.
          if (i >= j && i < T && tileSegment[r] == segment) {
            var s = 0.0;
            var dp = 0.0;
            for (var d = 0u; d < D; d++) {
              s += tileA[r * D + d] * kRow[d];
              dp += tileB[r * D + d] * vRow[d];
            }
            let p = exp(s - tileLse[r]);
            let ds = p * (dp - tileDelta[r]);
            for (var d = 0u; d < D; d++) {
              dvAcc[d] += p * tileB[r * D + d];
              dkAcc[d] += ds * tileA[r * D + d];
            }
          }
        }
      }
      workgroupBarrier();
    }
  }

  // Every key row is written (zeros for padding keys), so the gradient buffers need no clearing.
  if (j < T) {
    let kOut = kIndex(b, kvHead, j);
    let vOut = vIndex(b, kvHead, j);
    for (var d = 0u; d < D; d++) {
      ${dkArray}[kOut + d] = dkAcc[d] * uniforms.scale;
      ${dvArray}[vOut + d] = dvAcc[d];
    }
  }
}

// dq of queries block·ROWS + local of query head row = b·H + h.
fn queryRows(block: u32, row: u32, local: u32) {
  let T = uniforms.time;
  let b = row / uniforms.heads;
  let h = row % uniforms.heads;
  let kvHead = h / uniforms.group;
  let firstQuery = block * ROWS;
  let i = firstQuery + local;
  let inRange = i < T;
  let iSafe = min(i, T - 1u);
  let segment = mask[b * T + iSafe];
  let validOffset = uniforms.batch * T;
  let lse = logSumExp[row * T + iSafe];
  let delta = rowDelta(b, h, iSafe);

  var qRow: array<f32, ${D}>;
  var dOutRow: array<f32, ${D}>;
  var dqAcc: array<f32, ${D}>;
  let qBase = qIndex(b, h, iSafe);
  let oBase = oIndex(b, h, iSafe);
  for (var d = 0u; d < D; d++) {
    qRow[d] = q[qBase + d] * uniforms.scale;
    dOutRow[d] = dOut[oBase + d];
    dqAcc[d] = 0.0;
  }

  let lastQuery = min(firstQuery + ROWS, T) - 1u;
  let tiles = lastQuery / TILE + 1u;
  for (var tile = 0u; tile < tiles; tile++) {
    let firstKey = tile * TILE;
    for (var e = local; e < TILE * D; e += ROWS) {
      let j = firstKey + e / D;
      if (j < T) {
        tileA[e] = k[kIndex(b, kvHead, j) + e % D];
        tileB[e] = v[vIndex(b, kvHead, j) + e % D];
      }
    }
    for (var c = local; c < TILE; c += ROWS) {
      let j = firstKey + c;
      if (j < T) {
        tileSegment[c] = mask[b * T + j];
        tileValid[c] = mask[validOffset + b * T + j];
      } else {
        tileValid[c] = 0;
      }
    }
    workgroupBarrier();
    if (inRange) {
      for (var c = 0u; c < TILE; c++) {
        let j = firstKey + c;
        if (j <= i && tileValid[c] != 0 && tileSegment[c] == segment) {
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < D; d++) {
            s += qRow[d] * tileA[c * D + d];
            dp += dOutRow[d] * tileB[c * D + d];
          }
          let ds = exp(s - lse) * (dp - delta);
          for (var d = 0u; d < D; d++) {
            dqAcc[d] += ds * tileA[c * D + d];
          }
        }
      }
    }
    workgroupBarrier();
  }

  if (inRange) {
    let qOut = qIndex(b, h, i);
    for (var d = 0u; d < D; d++) {
      ${dqArray}[qOut + d] = dqAcc[d] * uniforms.scale;
    }
  }
}

@compute @workgroup_size(${rowsBlock})
fn main(
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) local: u32,
) {
  let blocks = (uniforms.time + ROWS - 1u) / ROWS;
  let flat = workgroup.y * groups.x + workgroup.x;
  let x = flat % (2u * blocks);
  let y = flat / (2u * blocks);
  if (y >= uniforms.batch * uniforms.heads) {
    return;
  }
  if (x < blocks) {
    if (y < uniforms.batch * uniforms.kvHeads) {
      keyRows(x, y, local);
    }
  } else {
    queryRows(x - blocks, y, local);
  }
}
`;
}
