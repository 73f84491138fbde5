import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';

/** One sampled response's log-probabilities, as written by the bootstrap's SteerLM 2.0 data. */
export interface SteerLM2Response {
  /** log P(a | x, y): the attribute predictor's probability of the target attributes. */
  logAttributeProbability: number;
  /** log P(y | x): the response under the unconditioned (original) model. */
  logResponseProbability: number;
  /** log Q'(y | a, x): the response under the sampling (reference SteerLM) model. */
  logReferenceProbability: number;
}

/** Returns softmax(values) computed stably. */
export function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / total);
}

export interface SteerLM2Weights {
  /** w = softmax(log P(a|x,y) + log P(y|x) − log Q'(y|a,x)): the target distribution over responses. */
  target: number[];
  /** b = softmax(log Qθ(y|a,x) − log Q'(y|a,x)): the current model's distribution, importance-weighted. */
  baseline: number[];
  /** KL(w ‖ b), logged to follow how far the model is from the target. */
  klDivergence: number;
}

/**
 * Returns the SteerLM 2.0 weights (HelpSteer2 paper; NeMo-Aligner's SteerLM2Dataset) for n responses
 * to one prompt, given the current model's log Qθ(y|a,x) of each response.
 */
export function steerLM2Weights(responses: readonly SteerLM2Response[], logModelProbabilities: readonly number[]): SteerLM2Weights {
  if (responses.length === 0 || responses.length !== logModelProbabilities.length) {
    throw new InvalidOptionError(`SteerLM 2.0 needs one model log-probability per response (got ${logModelProbabilities.length} for ${responses.length})`);
  }
  const target = softmax(responses.map((r) => r.logAttributeProbability + r.logResponseProbability - r.logReferenceProbability));
  const baseline = softmax(responses.map((r, index) => logModelProbabilities[index]! - r.logReferenceProbability));
  const klDivergence = target.reduce((sum, w, index) => (w > 0 ? sum + w * Math.log(w / baseline[index]!) : sum), 0);
  return { target, baseline, klDivergence };
}

/**
 * Returns the SteerLM 2.0 loss −Σ (w − b) · log Qθ(y|a,x) / tokens, differentiable through
 * `logModelProbabilities` [n] (each the summed token log-probability of a response); w and b are
 * constants of the step (no gradient flows through them), as in NeMo-Aligner.
 */
export function steerLM2Loss(logModelProbabilities: tf.Tensor1D, weights: SteerLM2Weights, tokens: number): tf.Scalar {
  return tf.tidy(() => {
    const coefficient = tf.tensor1d(weights.target.map((w, index) => w - weights.baseline[index]!));
    return tf.div(tf.neg(tf.sum(tf.mul(coefficient, logModelProbabilities))), Math.max(1, tokens)) as tf.Scalar;
  });
}
