// Shape legend: any shape, flattened to `size` elements; one invocation per element over a 2-D grid
// (index = (workgroup_id.x + workgroup_id.y * num_workgroups.x) * workgroupSize + local index).
// Bindings: inputs (read-only storage) first, then outputs (read_write storage), then `params` (uniform).
import type { GeluApproximation } from './activations.reference';

/** Invocations per workgroup in the activation kernels. */
export const activationWorkgroupSize = 256;

function elementwise(bindings: string, body: string, helpers = ''): string {
  return /* wgsl */ `
struct Params { size: u32, pad0: u32, pad1: u32, pad2: u32 }
${bindings}
${helpers}
@compute @workgroup_size(${activationWorkgroupSize})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) local: u32) {
  let index = (wid.x + wid.y * nwg.x) * ${activationWorkgroupSize}u + local;
  if (index >= params.size) { return; }
${body}
}`;
}

const sigmoidHelper = /* wgsl */ `
fn sigmoidOf(value: f32) -> f32 { return 1.0 / (1.0 + exp(-value)); }`;

/** Returns the WGSL computing y = silu(gate) * up. */
export function swigluForwardSource(): string {
  return elementwise(
    `@group(0) @binding(0) var<storage, read> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;`,
    `  let g = gate[index];
  y[index] = g * sigmoidOf(g) * up[index];`,
    sigmoidHelper,
  );
}

/** Returns the WGSL computing dgate = dy · up · σ(g)(1 + g(1 - σ(g))) and dup = dy · silu(gate). */
export function swigluBackwardSource(): string {
  return elementwise(
    `@group(0) @binding(0) var<storage, read> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(4) var<storage, read_write> dup: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;`,
    `  let g = gate[index];
  let s = sigmoidOf(g);
  dgate[index] = dy[index] * up[index] * s * (1.0 + g * (1.0 - s));
  dup[index] = dy[index] * g * s;`,
    sigmoidHelper,
  );
}

// tanh is evaluated on a clamped argument (|u| ≤ 15, where tanh is ±1 in f32) because some drivers build
// tanh from exp and return NaN for large |u|. erf comes from the Numerical Recipes erfc Chebyshev fit
// (fractional error < 1.2e-7 everywhere), since WGSL has no erf builtin.
const geluHelpers = /* wgsl */ `
const sqrtTwoOverPi = 0.7978845608028654;
const cubic = 0.044715;
fn safeTanh(u: f32) -> f32 { return tanh(clamp(u, -15.0, 15.0)); }
fn erfOf(value: f32) -> f32 {
  let z = abs(value);
  let t = 1.0 / (1.0 + 0.5 * z);
  let complement = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(complement - 1.0, 1.0 - complement, value >= 0.0);
}`;

/** Returns the WGSL computing y = gelu(x) with the tanh (gelu_new) or exact erf formula. */
export function geluForwardSource(approximation: GeluApproximation): string {
  const body =
    approximation === 'erf'
      ? `  let v = x[index];
  y[index] = 0.5 * v * (1.0 + erfOf(v * 0.7071067811865476));`
      : `  let v = x[index];
  y[index] = 0.5 * v * (1.0 + safeTanh(sqrtTwoOverPi * (v + cubic * v * v * v)));`;
  return elementwise(
    `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;`,
    body,
    geluHelpers,
  );
}

/** Returns the WGSL computing dx = dy · gelu'(x) with the tanh (gelu_new) or exact erf formula. */
export function geluBackwardSource(approximation: GeluApproximation): string {
  const body =
    approximation === 'erf'
      ? `  let v = x[index];
  dx[index] = dy[index] * (0.5 * (1.0 + erfOf(v * 0.7071067811865476)) + v * exp(-0.5 * v * v) * 0.3989422804014327);`
      : `  let v = x[index];
  let t = safeTanh(sqrtTwoOverPi * (v + cubic * v * v * v));
  dx[index] = dy[index] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * sqrtTwoOverPi * (1.0 + 3.0 * cubic * v * v));`;
  return elementwise(
    `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;`,
    body,
    geluHelpers,
  );
}
