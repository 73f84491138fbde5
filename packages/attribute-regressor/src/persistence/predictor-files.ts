/**
 * A saved predictor as bytes: the text of config.json and the bytes of model.safetensors. What
 * `AttributePredictor.save` writes to a folder, and what a page gets with `fetch` to call
 * `AttributePredictor.fromFiles`.
 */
export interface PredictorFiles {
  /** config.json: the format, schema, featurizer, head and normalisation (JSON text). */
  readonly config: string;
  /** model.safetensors: the head's F32 weights. */
  readonly weights: Uint8Array;
}
