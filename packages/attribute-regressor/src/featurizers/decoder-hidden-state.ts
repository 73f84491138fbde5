import { InvalidOptionError, ShapeError, steerlmTemplate, type PromptTemplate, type ScoringInput } from '@steerlm/core';
import { assertScorable } from './scoring-text';
import type { Featurizer } from '@steerlm/core';

/** Returns one hidden-state vector per rendered text: the decoder's last layer at the last token. */
export type LastTokenHiddenState = (texts: readonly string[]) => Promise<ArrayLike<number>[]>;

export interface DecoderHiddenStateOptions {
  /** Identifies the decoder and its weights, e.g. `llama-tiny@sha256:…`; part of the featurizer id. */
  modelId: string;
  /** The hidden size of the decoder. */
  dimension: number;
  /** Runs the decoder (wired in by the caller, e.g. from @steerlm/sft) and returns last-token states. */
  lastHiddenState: LastTokenHiddenState;
  /** The template that renders the conversation and response (default the SteerLM template). */
  template?: PromptTemplate;
  /** Texts per call of `lastHiddenState` (default 8). */
  batchSize?: number;
}

/**
 * Returns a featurizer that renders each conversation with its response through a template and uses a
 * caller-supplied decoder's last-token hidden state as the vector (no dependency on any model package).
 */
export function createDecoderHiddenStateFeaturizer(options: DecoderHiddenStateOptions): Featurizer {
  const { modelId, dimension, lastHiddenState } = options;
  const template = options.template ?? steerlmTemplate;
  const batchSize = options.batchSize ?? 8;
  if (typeof modelId !== 'string' || modelId === '') throw new InvalidOptionError('modelId must name the decoder', { option: 'modelId' });
  if (!Number.isSafeInteger(dimension) || dimension < 1)
    throw new InvalidOptionError(`dimension must be a positive integer, got ${dimension}`, { option: 'dimension' });
  if (typeof lastHiddenState !== 'function')
    throw new InvalidOptionError('lastHiddenState must be a function (texts) => vectors', { option: 'lastHiddenState' });
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new InvalidOptionError(`batchSize must be a positive integer, got ${batchSize}`, { option: 'batchSize' });
  const id = `decoder-last-token:${modelId}:template=${template.name}:dim=${dimension}`;
  return {
    specificationVersion: 'v1',
    id,
    dimension,
    async featurize(inputs: readonly ScoringInput[]): Promise<Float32Array[]> {
      inputs.forEach(assertScorable);
      const texts = inputs.map((input) =>
        template.render({
          ...(input.system !== undefined ? { system: input.system } : {}),
          turns: [...input.context.map((turn) => ({ role: turn.role, text: turn.text })), { role: 'assistant', text: input.response }],
        }),
      );
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        const batch = texts.slice(start, start + batchSize);
        const states = await lastHiddenState(batch);
        if (!Array.isArray(states) || states.length !== batch.length) {
          throw new ShapeError(`lastHiddenState returned ${Array.isArray(states) ? states.length : typeof states} vectors for ${batch.length} texts`, {
            field: id,
          });
        }
        for (const state of states) {
          if (state.length !== dimension)
            throw new ShapeError(`lastHiddenState returned a vector of ${state.length} values, expected ${dimension}`, { field: id });
          const vector = Float32Array.from(state);
          if (vector.some((value) => !Number.isFinite(value))) throw new ShapeError('lastHiddenState returned NaN or Infinity', { field: id });
          vectors.push(vector);
        }
      }
      return vectors;
    },
  };
}
