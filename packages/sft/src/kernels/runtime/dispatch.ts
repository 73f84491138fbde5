// Workgroup grids for WGSL dispatches, shared by every kernel. Workgroup counts above the per-dimension
// limit (65535 in WebGPU's defaults) spread over x and y; the shaders rebuild the linear id as
// workgroup_id.x + workgroup_id.y * num_workgroups.x (`linearWorkgroup`) and skip the tail.

/** The WebGPU default maxComputeWorkgroupsPerDimension, guaranteed on every adapter. */
export const maxWorkgroupsPerDimension = 65535;

/**
 * Returns a [x, y, 1] dispatch holding at least `count` workgroups, with x ≤ `maxPerDimension`
 * (an empty dispatch, which runProgram skips, when `count` is 0).
 */
export function workgroupGrid(count: number, maxPerDimension = maxWorkgroupsPerDimension): [number, number, number] {
  if (count <= maxPerDimension) return [count, 1, 1];
  const y = Math.ceil(count / maxPerDimension);
  return [Math.ceil(count / y), y, 1];
}

/** WGSL parameters of `main` giving `wid`, `nwg` and `local` (the linear invocation index in the workgroup). */
export const gridBuiltins = `@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) local: u32`;

/** WGSL expression of the linear workgroup id over a workgroupGrid dispatch. */
export const linearWorkgroup = 'wid.x + wid.y * nwg.x';

/**
 * Returns the opening of an element-wise kernel's `main` on a workgroupGrid dispatch of `size`-wide workgroups:
 * the flat `index` of this invocation, and an early return past `count` (a WGSL expression).
 */
export function elementwiseMain(size: number, count: string): string {
  return `@compute @workgroup_size(${size})
fn main(${gridBuiltins}) {
  let index = (${linearWorkgroup}) * ${size}u + local;
  if (index >= ${count}) { return; }`;
}

/** Returns the WGSL of `workgroupSum(local, value)`: a shared-memory tree sum over `size` invocations. */
export function workgroupSumSource(size: number): string {
  return /* wgsl */ `
var<workgroup> scratch: array<f32, ${size}>;
fn workgroupSum(local: u32, value: f32) -> f32 {
  scratch[local] = value;
  workgroupBarrier();
  for (var stride = ${size / 2}u; stride > 0u; stride = stride >> 1u) {
    if (local < stride) { scratch[local] = scratch[local] + scratch[local + stride]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}`;
}
