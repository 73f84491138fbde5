import { InvalidOptionError, ModelFormatError, type Featurizer } from '@steerlm/core';
import { concatenateFeaturizers } from './concatenated';
import type { FeaturizerDescription } from './featurizer-description';
import { createHashedNgramsFeaturizer, type HashedNgramsOptions } from './hashed-ngrams';
import { createTextStatisticsFeaturizer, type TextStatisticsOptions } from './text-statistics';
import { nodeSupport } from '../node-support';

const PASS_THE_FEATURIZER = 'in a browser, pass the featurizer the model was trained with: AttributePredictor.fromFiles(files, { featurizer })';

/** The featurizer names `createFeaturizerByName` knows (join several with `+`). */
export const FEATURIZER_NAMES = Object.freeze(['hashed-ngrams', 'text-statistics', 'use-lite', 'use-lite-chunked'] as const);

/**
 * The featurizer `steerlm apm train` uses unless told otherwise: USE-lite of the prompt, of the response's
 * start and of the whole response in chunks, with the text statistics (Node only: use-lite loads local model
 * files). On oasst1 it is the one measured to beat both the training median and the length line on quality,
 * toxicity, humor and creativity with fold seeds 0, 1 and 2; on seeds 3 and 4 it still beats the line on
 * quality but ties the median on toxicity, 0.425 against 0.423 (docs/benchmarks.md).
 */
export const DEFAULT_FEATURIZER_NAME = 'use-lite-chunked+text-statistics';

/**
 * Returns the featurizer a saved description names (hashed-ngrams, text-statistics, use-lite,
 * transformers, concatenated). A caller-wired decoder featurizer cannot be rebuilt: pass it instead.
 * use-lite and transformers load local model files, so they are rebuilt only under Node.
 */
export function createFeaturizer(description: FeaturizerDescription): Featurizer {
  switch (description?.type) {
    case 'hashed-ngrams':
      return createHashedNgramsFeaturizer(description.options as HashedNgramsOptions);
    case 'text-statistics':
      return createTextStatisticsFeaturizer(description.options as TextStatisticsOptions);
    case 'use-lite':
    case 'transformers':
      return nodeSupport(`the ${description.type} featurizer`, PASS_THE_FEATURIZER).createFeaturizer(description.type, description.options);
    case 'concatenated':
      return concatenateFeaturizers((description.parts ?? []).map(createFeaturizer));
    default:
      throw new ModelFormatError(`unknown featurizer type ${JSON.stringify(description?.type)}`, {
        field: 'featurizer.description.type',
        hint: 'pass the featurizer the model was trained with to AttributePredictor.load(dir, { featurizer })',
      });
  }
}

/** Returns a featurizer from a name such as `use-lite+text-statistics` (parts joined with `+`, default options). */
export function createFeaturizerByName(name: string): Featurizer {
  const parts = name.split('+').map((part) => part.trim());
  const featurizers = parts.map((part) => {
    if (part === 'hashed-ngrams') return createHashedNgramsFeaturizer();
    if (part === 'text-statistics') return createTextStatisticsFeaturizer();
    if (part === 'use-lite')
      return nodeSupport('the use-lite featurizer', 'in a browser, choose hashed-ngrams or text-statistics').createFeaturizer('use-lite', undefined);
    // USE-lite with the mean embedding of the whole response's chunks (`includeResponseChunks`).
    if (part === 'use-lite-chunked')
      return nodeSupport('the use-lite-chunked featurizer', 'in a browser, choose hashed-ngrams or text-statistics').createFeaturizer('use-lite', {
        includeResponseChunks: true,
      });
    throw new InvalidOptionError(`unknown featurizer ${JSON.stringify(part)}`, {
      option: 'featurizer',
      hint: `choose from ${FEATURIZER_NAMES.join(', ')}, joined with +`,
    });
  });
  return featurizers.length === 1 ? featurizers[0]! : concatenateFeaturizers(featurizers);
}
