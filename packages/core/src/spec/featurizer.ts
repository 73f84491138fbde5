import type { ScoringInput } from './attribute-scorer';

/** Turns responses in context into fixed-size feature vectors for a regression head. */
export interface Featurizer {
  readonly specificationVersion: 'v1';
  /**
   * Identifies the featurizer and every setting that changes its output (e.g.
   * `hashed-ngrams:dim=4096:n=1-3`); a head trained on one id refuses another.
   */
  readonly id: string;
  /** The length of every feature vector. */
  readonly dimension: number;
  /** Returns one vector of `dimension` floats per input, in order. */
  featurize(inputs: readonly ScoringInput[]): Promise<Float32Array[]>;
  /** Releases resources (models, tensors) the featurizer holds. */
  dispose?(): void | Promise<void>;
}
