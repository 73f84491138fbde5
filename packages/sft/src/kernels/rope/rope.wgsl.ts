// Shape legend: B batch, H heads, T time steps, D head dimension (even); pairs (i, i + D/2) rotate together.
// Bindings: inputs (read-only storage) first, then outputs (read_write storage), then `params` (uniform).
// One invocation per rotation pair over a flat 2-D grid; the same program serves forward (direction +1)
// and backward (direction -1: the inverse rotation). The angle is the float32 product position ·
// inverseFrequency (as HF computes it); it is reduced to [-π, π] (Cody–Waite, 2π split in two parts)
// before cos/sin, because WGSL only bounds their error on [-π, π] and positions reach 10⁵.

/** Invocations per workgroup in the rope kernel. */
export const ropeWorkgroupSize = 256;

/** Returns the WGSL computing y [B, H, T, D] from x [B, H, T, D], positions [B, T] (i32), inverseFrequencies [D/2]. */
export function ropeSource(workgroupSize = ropeWorkgroupSize): string {
  return /* wgsl */ `
struct Params { heads: u32, time: u32, half: u32, pairs: u32, direction: f32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> positions: array<i32>;
@group(0) @binding(2) var<storage, read> inverseFrequencies: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
const twoPiHigh = 6.28125;
const twoPiLow = 0.001935307179586232;
const inverseTwoPi = 0.15915494309189535;
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) local: u32) {
  let index = (wid.x + wid.y * nwg.x) * ${workgroupSize}u + local;
  if (index >= params.pairs) { return; }
  let vectorIndex = index / params.half;
  let i = index - vectorIndex * params.half;
  let t = vectorIndex % params.time;
  let b = vectorIndex / (params.heads * params.time);
  let angle = f32(positions[b * params.time + t]) * inverseFrequencies[i];
  let turns = round(angle * inverseTwoPi);
  let reduced = (angle - turns * twoPiHigh) - turns * twoPiLow;
  let cosine = cos(reduced);
  let sine = params.direction * sin(reduced);
  let base = vectorIndex * params.half * 2u;
  let first = x[base + i];
  let second = x[base + i + params.half];
  y[base + i] = first * cosine - second * sine;
  y[base + i + params.half] = second * cosine + first * sine;
}`;
}
