// Shape legend: D head dimension (even), D/2 rotation pairs (i, i + D/2) in the rotate_half convention.
import { InvalidOptionError } from '@steerlm/core';

/** Llama-3 rope scaling (HF `rope_scaling` with rope_type "llama3"), in camelCase. */
export interface Llama3RopeScaling {
  /** HF `factor`: how much the context was extended (8 for Llama 3.1). */
  factor: number;
  /** HF `low_freq_factor` (1 for Llama 3.1). */
  lowFreqFactor: number;
  /** HF `high_freq_factor` (4 for Llama 3.1). */
  highFreqFactor: number;
  /** HF `original_max_position_embeddings` (8192 for Llama 3.1). */
  originalMaxPositionEmbeddings: number;
}

function checkPositive(value: number, option: string): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InvalidOptionError(`rope option ${option} must be a finite number > 0, got ${value}`, {
      option,
      hint: 'use the values from the model config.json (rope_theta, rope_scaling)',
    });
  }
}

/**
 * Returns the D/2 inverse frequencies theta^(-2i/D) as float32, adjusted by Llama-3 scaling when given
 * (computed in float64 then rounded once, as HF computes them in float32 from an int64 arange).
 */
export function ropeInverseFrequencies(headDimension: number, theta: number, scaling?: Llama3RopeScaling): Float32Array {
  checkPositive(theta, 'theta');
  const half = headDimension / 2;
  const inverse = new Float64Array(half);
  for (let i = 0; i < half; i++) inverse[i] = 1 / theta ** ((2 * i) / headDimension);
  if (scaling !== undefined) {
    checkPositive(scaling.factor, 'scaling.factor');
    checkPositive(scaling.lowFreqFactor, 'scaling.lowFreqFactor');
    checkPositive(scaling.originalMaxPositionEmbeddings, 'scaling.originalMaxPositionEmbeddings');
    if (!(scaling.highFreqFactor > scaling.lowFreqFactor)) {
      throw new InvalidOptionError(
        `rope scaling.highFreqFactor (${scaling.highFreqFactor}) must be greater than scaling.lowFreqFactor (${scaling.lowFreqFactor})`,
        { option: 'scaling.highFreqFactor', hint: 'Llama 3.1 uses lowFreqFactor 1 and highFreqFactor 4' },
      );
    }
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings } = scaling;
    const lowFreqWavelength = originalMaxPositionEmbeddings / lowFreqFactor;
    const highFreqWavelength = originalMaxPositionEmbeddings / highFreqFactor;
    for (let i = 0; i < half; i++) {
      const frequency = Math.fround(inverse[i]!);
      const wavelength = (2 * Math.PI) / frequency;
      if (wavelength < highFreqWavelength) inverse[i] = frequency;
      else if (wavelength > lowFreqWavelength) inverse[i] = frequency / factor;
      else {
        const smooth = (originalMaxPositionEmbeddings / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        inverse[i] = ((1 - smooth) * frequency) / factor + smooth * frequency;
      }
    }
  }
  return Float32Array.from(inverse);
}
