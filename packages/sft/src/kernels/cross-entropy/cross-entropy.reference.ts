// Shape legend: N rows (tokens), V vocabulary size. Plain float64 arithmetic over typed-array inputs.

/** Inputs shared by the cross-entropy reference forward and backward. */
export interface CrossEntropyReferenceInput {
  logits: Float32Array; // [N, V]
  targets: Int32Array; // [N], each in [0, V)
  lossMask: Float32Array; // [N]
  rows: number;
  vocabulary: number;
}

function logSumExp(logits: Float32Array, base: number, vocabulary: number): number {
  let maximum = -Infinity;
  for (let v = 0; v < vocabulary; v++) maximum = Math.max(maximum, logits[base + v]!);
  let sum = 0;
  for (let v = 0; v < vocabulary; v++) sum += Math.exp(logits[base + v]! - maximum);
  return maximum + Math.log(sum);
}

/** Returns the per-token losses [N]: lossMask[n] * (logsumexp(logits[n]) - logits[n, targets[n]]). */
export function crossEntropyReference({ logits, targets, lossMask, rows, vocabulary }: CrossEntropyReferenceInput): Float32Array {
  const losses = new Float32Array(rows);
  for (let n = 0; n < rows; n++) {
    const base = n * vocabulary;
    losses[n] = lossMask[n]! * (logSumExp(logits, base, vocabulary) - logits[base + targets[n]!]!);
  }
  return losses;
}

/** Returns dlogits [N, V] = (softmax(logits) - onehot(targets)) * lossMask * dlosses for upstream dlosses [N]. */
export function crossEntropyBackwardReference(input: CrossEntropyReferenceInput, dlosses: Float32Array): Float32Array {
  const { logits, targets, lossMask, rows, vocabulary } = input;
  const dlogits = new Float32Array(rows * vocabulary);
  for (let n = 0; n < rows; n++) {
    const base = n * vocabulary;
    const scale = lossMask[n]! * dlosses[n]!;
    const lse = logSumExp(logits, base, vocabulary);
    for (let v = 0; v < vocabulary; v++) {
      const probability = Math.exp(logits[base + v]! - lse);
      dlogits[base + v] = (probability - (v === targets[n]! ? 1 : 0)) * scale;
    }
  }
  return dlogits;
}

/** Returns sum(losses) / max(1, sum(lossMask)): the mean loss over unmasked tokens (losses already masked). */
export function maskedMeanReference(losses: Float32Array, lossMask: Float32Array): number {
  let lossSum = 0;
  let maskSum = 0;
  for (let n = 0; n < losses.length; n++) {
    lossSum += losses[n]!;
    maskSum += lossMask[n]!;
  }
  return lossSum / Math.max(1, maskSum);
}
