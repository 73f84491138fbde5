// Shape legend: any shape; elementwise. Plain float64 arithmetic over Float32Array inputs.

const sqrtTwoOverPi = Math.sqrt(2 / Math.PI);
const geluCubic = 0.044715;

function sigmoid(value: number): number {
  return 1 / (1 + Math.exp(-value));
}

/** Returns erf(value) to about float64 precision (Maclaurin series below 3, erfc continued fraction above). */
export function erfReference(value: number): number {
  const sign = value < 0 ? -1 : 1;
  const x = Math.abs(value);
  if (x < 3) {
    let term = x;
    let sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (-x * x) / k;
      const addition = term / (2 * k + 1);
      sum += addition;
      if (Math.abs(addition) < 1e-17 * Math.abs(sum)) break;
    }
    return (sign * 2 * sum) / Math.sqrt(Math.PI);
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) (evaluated backwards).
  let fraction = 0;
  for (let k = 60; k >= 1; k--) fraction = k / 2 / (x + fraction);
  const complement = Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + fraction);
  return sign * (1 - complement);
}

/** Returns swiglu(gate, up) = silu(gate) * up, elementwise. */
export function swigluReference(gate: Float32Array, up: Float32Array): Float32Array {
  return gate.map((g, i) => g * sigmoid(g) * up[i]!);
}

/** Returns the SwiGLU gradients { dgate, dup } for the upstream gradient dy. */
export function swigluBackwardReference(gate: Float32Array, up: Float32Array, dy: Float32Array): { dgate: Float32Array; dup: Float32Array } {
  const dgate = new Float32Array(gate.length);
  const dup = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i]!;
    const s = sigmoid(g);
    dgate[i] = dy[i]! * up[i]! * s * (1 + g * (1 - s));
    dup[i] = dy[i]! * g * s;
  }
  return { dgate, dup };
}

/** Which GELU formula: 'tanh' (GPT-2's gelu_new) or 'erf' (the exact one). */
export type GeluApproximation = 'tanh' | 'erf';

/** Returns gelu(x) elementwise with the chosen formula. */
export function geluReference(x: Float32Array, approximation: GeluApproximation): Float32Array {
  if (approximation === 'erf') return x.map((v) => 0.5 * v * (1 + erfReference(v / Math.SQRT2)));
  return x.map((v) => 0.5 * v * (1 + Math.tanh(sqrtTwoOverPi * (v + geluCubic * v * v * v))));
}

/** Returns dx = dy * gelu'(x) elementwise with the chosen formula. */
export function geluBackwardReference(x: Float32Array, dy: Float32Array, approximation: GeluApproximation): Float32Array {
  if (approximation === 'erf') {
    return x.map((v, i) => dy[i]! * (0.5 * (1 + erfReference(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI)));
  }
  return x.map((v, i) => {
    const t = Math.tanh(sqrtTwoOverPi * (v + geluCubic * v * v * v));
    return dy[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * sqrtTwoOverPi * (1 + 3 * geluCubic * v * v));
  });
}
