/**
 * Shape legend: SM × SK left fragment (rows of C × reduction), SK × SN right fragment, SM × SN result.
 *
 * The matrix primitives the subgroup-matrix GEMM (mma-gemm.wgsl.ts) is written against, in two
 * lowerings of the same five WGSL functions and two entry-point hooks:
 * - 'subgroup-matrix': Chromium's `chromium_experimental_subgroup_matrix` (Dawn's spelling:
 *   subgroup_matrix_left<f16, SK, SM>, subgroupMatrixLoad<T>(&p, offset, col_major, stride),
 *   subgroupMatrixMultiplyAccumulate, subgroupMatrixStore(&p, offset, value, col_major, stride)); each
 *   fragment is spread over the lanes of one subgroup (the tensor cores on NVIDIA). Runs only where the
 *   adapter offers the feature.
 * - 'emulated': each "fragment" is a private array that every invocation of the (emulated) subgroup
 *   holds whole: each lane loads the whole tile, computes the whole product and stores identical values.
 *   Slow (every lane does the subgroup's work), but it runs on any adapter with shader-f16 (lavapipe),
 *   so every other part of the GEMM — tiling, double buffering, vector loads, transposes, bounds,
 *   epilogues — is run and parity-tested where the real primitives are missing.
 * Both take f16 operands and accumulate in f32.
 */
import type { SubgroupMatrixConfig } from '../../backend';
import type { WgslExtension } from '../runtime';

/** How the matrix primitives are lowered to WGSL. */
export type MmaLowering = 'subgroup-matrix' | 'emulated';

/** Where a fragment lives in workgroup memory: its array, whether column-major, and the row (column) stride in elements. */
export interface MmaFragmentLayout {
  array: string;
  colMajor: boolean;
  stride: number;
}

/** The fragment shape (from the adapter's f16→f32 subgroup-matrix configuration). */
export type MmaShape = Pick<SubgroupMatrixConfig, 'M' | 'N' | 'K'>;

/** A lowering of the primitives: WGSL text the GEMM template splices in. */
export interface MmaPrimitives {
  lowering: MmaLowering;
  /** Extensions the lowering needs. */
  enables: WgslExtension[];
  /** Attributes before the entry point (the uniformity diagnostic of the real lowering). */
  entryAttributes: string;
  /**
   * Type aliases MmaLeft / MmaRight / MmaResult and functions mmaLoadA(offset), mmaLoadB(offset),
   * mmaZero(), mmaAccumulate(a, b, acc) (a·b + acc) and mmaStoreC(offset, value), between the
   * MMA_PRIMITIVES_BEGIN / MMA_PRIMITIVES_END marker lines.
   */
  declarations: string;
}

/** The marker lines around the lowered primitives in the generated WGSL. */
export const MMA_PRIMITIVES_BEGIN = '// ---- mma primitives: begin ----';
export const MMA_PRIMITIVES_END = '// ---- mma primitives: end ----';

/** The uniformity diagnostic of subgroup-matrix builtins (offsets depend on the subgroup index, uniform only per subgroup). */
const UNIFORMITY_OFF = '@diagnostic(off, chromium_experimental.subgroup_matrix_uniformity)';

/** Returns the WGSL index of element (r, c) of a fragment at `offset` in `layout`. */
function elementIndex(layout: MmaFragmentLayout, r: string, c: string): string {
  return layout.colMajor ? `offset + ${c} * ${layout.stride}u + ${r}` : `offset + ${r} * ${layout.stride}u + ${c}`;
}

/**
 * Returns the primitives for fragments of `shape` lowered by `lowering`, loading A from `a`, B from
 * `b` and storing C to `c` (workgroup arrays of f16, f16 and f32) in the given layouts.
 */
export function mmaPrimitives(
  lowering: MmaLowering,
  shape: MmaShape,
  layouts: { a: MmaFragmentLayout; b: MmaFragmentLayout; c: MmaFragmentLayout },
): MmaPrimitives {
  const { M: SM, N: SN, K: SK } = shape;
  const { a, b, c } = layouts;
  if (lowering === 'subgroup-matrix') {
    const declarations = [
      MMA_PRIMITIVES_BEGIN,
      `alias MmaLeft = subgroup_matrix_left<f16, ${SK}, ${SM}>;`,
      `alias MmaRight = subgroup_matrix_right<f16, ${SN}, ${SK}>;`,
      `alias MmaResult = subgroup_matrix_result<f32, ${SN}, ${SM}>;`,
      `${UNIFORMITY_OFF} fn mmaLoadA(offset: u32) -> MmaLeft { return subgroupMatrixLoad<MmaLeft>(&${a.array}, offset, ${a.colMajor}, ${a.stride}u); }`,
      `${UNIFORMITY_OFF} fn mmaLoadB(offset: u32) -> MmaRight { return subgroupMatrixLoad<MmaRight>(&${b.array}, offset, ${b.colMajor}, ${b.stride}u); }`,
      `fn mmaZero() -> MmaResult { return MmaResult(); }`,
      `${UNIFORMITY_OFF} fn mmaAccumulate(a: MmaLeft, b: MmaRight, acc: MmaResult) -> MmaResult { return subgroupMatrixMultiplyAccumulate(a, b, acc); }`,
      `${UNIFORMITY_OFF} fn mmaStoreC(offset: u32, value: MmaResult) { subgroupMatrixStore(&${c.array}, offset, value, ${c.colMajor}, ${c.stride}u); }`,
      MMA_PRIMITIVES_END,
    ].join('\n');
    return {
      lowering,
      enables: ['f16', 'subgroups', 'chromium_experimental_subgroup_matrix'],
      entryAttributes: UNIFORMITY_OFF,
      declarations,
    };
  }
  // Emulated: row-major private arrays; every lane does the whole fragment's work. Loops start at
  // mmaOrigin, a workgroup variable that is always 0 (zero-initialised, never written), so the shader
  // compiler keeps them rolled. lavapipe still takes minutes to compile a 128×128 tile (4,096
  // accumulator values per invocation); the lavapipe tests use 64×64 tiles (about a second).
  const declarations = /* wgsl */ `${MMA_PRIMITIVES_BEGIN}
var<workgroup> mmaOrigin: u32;
alias MmaLeft = array<f16, ${SM * SK}>;
alias MmaRight = array<f16, ${SK * SN}>;
alias MmaResult = array<f32, ${SM * SN}>;
fn mmaLoadA(offset: u32) -> MmaLeft {
  var m: MmaLeft;
  for (var r = mmaOrigin; r < ${SM}u; r = r + 1u) { for (var c = mmaOrigin; c < ${SK}u; c = c + 1u) { m[r * ${SK}u + c] = ${a.array}[${elementIndex(a, 'r', 'c')}]; } }
  return m;
}
fn mmaLoadB(offset: u32) -> MmaRight {
  var m: MmaRight;
  for (var r = mmaOrigin; r < ${SK}u; r = r + 1u) { for (var c = mmaOrigin; c < ${SN}u; c = c + 1u) { m[r * ${SN}u + c] = ${b.array}[${elementIndex(b, 'r', 'c')}]; } }
  return m;
}
fn mmaZero() -> MmaResult { return MmaResult(); }
fn mmaAccumulate(a: MmaLeft, b: MmaRight, acc: MmaResult) -> MmaResult {
  var out: MmaResult;
  for (var r = mmaOrigin; r < ${SM}u; r = r + 1u) {
    for (var c = mmaOrigin; c < ${SN}u; c = c + 1u) {
      var sum = acc[r * ${SN}u + c];
      for (var k = mmaOrigin; k < ${SK}u; k = k + 1u) { sum = fma(f32(a[r * ${SK}u + k]), f32(b[k * ${SN}u + c]), sum); }
      out[r * ${SN}u + c] = sum;
    }
  }
  return out;
}
fn mmaStoreC(offset: u32, value: MmaResult) {
  for (var r = mmaOrigin; r < ${SM}u; r = r + 1u) { for (var c = mmaOrigin; c < ${SN}u; c = c + 1u) { ${c.array}[${elementIndex(c, 'r', 'c')}] = value[r * ${SN}u + c]; } }
}
${MMA_PRIMITIVES_END}`;
  return {
    lowering,
    enables: ['f16'],
    entryAttributes: '',
    declarations,
  };
}
