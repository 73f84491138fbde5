import { totalmem } from 'node:os';
import { ModelFormatError } from '@steerlm/core';
import { modelFamily } from '../families/registry';
import type { ModelConfig } from '../io/hf-config';

/**
 * Returns the number of base parameters a decoder of `config` has, computed from the config alone
 * (equal to the sum over `parameterSpecs`, without building the list: a config may ask for 1e7 layers).
 */
export function modelParameterCount(config: ModelConfig): number {
  return modelFamily(config).parameterCount(config);
}

/** Options of {@link checkModelSize}. */
export interface ModelSizeLimit {
  /** The most bytes the float32 weights may take (default: this machine's total memory). */
  maxBytes?: number;
  /** Names the config in the error (a file or folder). */
  source?: string;
}

function gigabytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;
}

/**
 * Throws a ModelFormatError when the float32 weights of `config` cannot fit in `maxBytes`: checked before
 * anything is allocated, so an absurd config (num_hidden_layers: 1e7) fails at once with its size named.
 */
export function checkModelSize(config: ModelConfig, limit: ModelSizeLimit = {}): number {
  const parameters = modelParameterCount(config);
  const bytes = parameters * 4;
  const maxBytes = limit.maxBytes ?? totalmem();
  if (!Number.isFinite(bytes) || bytes > maxBytes) {
    throw new ModelFormatError(
      `the config describes ${parameters.toExponential(3)} parameters (${gigabytes(bytes)} as float32), more than the ${gigabytes(maxBytes)} ${limit.maxBytes === undefined ? 'of memory this machine has' : 'allowed'}`,
      {
        ...(limit.source !== undefined ? { file: limit.source } : {}),
        hint: `check num_hidden_layers (${config.numHiddenLayers}), hidden_size (${config.hiddenSize}), intermediate_size (${config.intermediateSize}) and vocab_size (${config.vocabSize})`,
      },
    );
  }
  return parameters;
}
