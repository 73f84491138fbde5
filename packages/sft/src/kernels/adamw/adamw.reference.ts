/**
 * Shape legend: P parameter tensors, each flattened to its own length.
 * AdamW (Loshchilov & Hutter; PyTorch's torch.optim.AdamW) with global gradient-norm clipping:
 *   norm = sqrt(Σ_p Σ_i g²), s = min(1, maxGradNorm / (norm + 1e-6)) (s = 1 without clipping)
 *   g ← s·g;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p·(1 − lr·wd) − (lr / (1−β1ᵗ)) · m / (sqrt(v) / sqrt(1−β2ᵗ) + ε)
 * Weight decay is decoupled (applied to p, not added to g) and skipped where decay[p] is false.
 */
import { InvalidOptionError } from '@steerlm/core';

/** Hyper-parameters of one AdamW step. */
export interface AdamWConfig {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /** Clip the global gradient norm to this value (undefined or 0: no clipping). */
  maxGradNorm?: number;
}

/** The config with every default filled in. */
export type ResolvedAdamWConfig = Required<AdamWConfig>;

/** Returns `config` with defaults (β1 0.9, β2 0.999, ε 1e-8, wd 0.01, no clipping), or throws InvalidOptionError. */
export function resolveAdamWConfig(config: AdamWConfig): ResolvedAdamWConfig {
  const resolved: ResolvedAdamWConfig = {
    learningRate: config.learningRate,
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.999,
    epsilon: config.epsilon ?? 1e-8,
    weightDecay: config.weightDecay ?? 0.01,
    maxGradNorm: config.maxGradNorm ?? 0,
  };
  const check = (name: keyof ResolvedAdamWConfig, ok: boolean, rule: string): void => {
    if (!ok) throw new InvalidOptionError(`AdamW ${name} is ${String(resolved[name])}, but must be ${rule}`, { option: name });
  };
  check('learningRate', Number.isFinite(resolved.learningRate) && resolved.learningRate >= 0, 'a finite number >= 0');
  check('beta1', resolved.beta1 >= 0 && resolved.beta1 < 1, 'in [0, 1)');
  check('beta2', resolved.beta2 >= 0 && resolved.beta2 < 1, 'in [0, 1)');
  check('epsilon', resolved.epsilon > 0, '> 0');
  check('weightDecay', Number.isFinite(resolved.weightDecay) && resolved.weightDecay >= 0, 'a finite number >= 0');
  check('maxGradNorm', Number.isFinite(resolved.maxGradNorm) && resolved.maxGradNorm >= 0, 'a finite number >= 0 (0 turns clipping off)');
  return resolved;
}

/** Returns the gradient scale s = min(1, maxGradNorm / (norm + 1e-6)), or 1 when clipping is off. */
export function clipScale(gradNorm: number, maxGradNorm: number): number {
  if (!(maxGradNorm > 0)) return 1;
  return Math.min(1, maxGradNorm / (gradNorm + 1e-6));
}

/** The per-step scalars shared by every element: step size, bias correction, decay factor. */
export interface AdamWScalars {
  stepSize: number;
  sqrtBiasCorrection2: number;
  decayFactor: number;
}

/** Returns the step's scalars for 1-based `step` (decay factor for a tensor that is decayed). */
export function adamwScalars(config: ResolvedAdamWConfig, step: number): AdamWScalars {
  if (!Number.isInteger(step) || step < 1) throw new InvalidOptionError(`AdamW step must be an integer >= 1, got ${step}`, { option: 'step' });
  return {
    stepSize: config.learningRate / (1 - config.beta1 ** step),
    sqrtBiasCorrection2: Math.sqrt(1 - config.beta2 ** step),
    decayFactor: 1 - config.learningRate * config.weightDecay,
  };
}

/** The result of a reference AdamW step. */
export interface AdamWReferenceResult {
  params: Float32Array[];
  m: Float32Array[];
  v: Float32Array[];
  gradNorm: number;
}

/** Returns updated params and moments after AdamW step `step` (1-based), computed in float64. */
export function adamwReference(
  params: readonly Float32Array[],
  grads: readonly Float32Array[],
  m: readonly Float32Array[],
  v: readonly Float32Array[],
  step: number,
  config: AdamWConfig,
  decay?: readonly boolean[],
): AdamWReferenceResult {
  const resolved = resolveAdamWConfig(config);
  let sumSquares = 0;
  for (const grad of grads) for (const value of grad) sumSquares += value * value;
  const gradNorm = Math.sqrt(sumSquares);
  const scale = clipScale(gradNorm, resolved.maxGradNorm);
  const { stepSize, sqrtBiasCorrection2, decayFactor } = adamwScalars(resolved, step);
  const { beta1, beta2, epsilon } = resolved;
  const out: AdamWReferenceResult = { params: [], m: [], v: [], gradNorm };
  params.forEach((param, index) => {
    const factor = decay === undefined || decay[index] !== false ? decayFactor : 1;
    const p = new Float32Array(param.length);
    const mNew = new Float32Array(param.length);
    const vNew = new Float32Array(param.length);
    for (let i = 0; i < param.length; i++) {
      const g = grads[index]![i]! * scale;
      const mi = beta1 * m[index]![i]! + (1 - beta1) * g;
      const vi = beta2 * v[index]![i]! + (1 - beta2) * g * g;
      p[i] = param[i]! * factor - (stepSize * mi) / (Math.sqrt(vi) / sqrtBiasCorrection2 + epsilon);
      mNew[i] = mi;
      vNew[i] = vi;
    }
    out.params.push(p);
    out.m.push(mNew);
    out.v.push(vNew);
  });
  return out;
}
