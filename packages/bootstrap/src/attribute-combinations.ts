import { formatAttributes, InvalidOptionError, STEERLM, type AttributeSchema, type AttributeValues, type Conversation } from '@steerlm/core';
import { hashString, seededRandom } from '@steerlm/core';

/** Decides whether an attribute combination is used for bootstrapping. */
export type CombinationFilter = (values: AttributeValues, schema: AttributeSchema) => boolean;

/** Returns a filter keeping combinations whose `attribute` (default quality) is at the top of its scale. */
export function topValueFilter(attribute = 'quality'): CombinationFilter {
  return (values, schema) => {
    const definition = schema.get(attribute);
    if (!definition) {
      throw new InvalidOptionError(`the schema has no "${attribute}" attribute to filter on`, { option: 'filter', hint: 'pass your own filter predicate' });
    }
    return values[attribute] === definition.max;
  };
}

export interface CollectCombinationsOptions {
  /** The schema of the labels (default STEERLM). */
  schema?: AttributeSchema;
  /** Which combinations to keep (default: top quality, as in the SteerLM paper §3.4). */
  filter?: CombinationFilter;
}

/**
 * Returns every distinct attribute combination labelling an assistant turn of `conversations` that
 * passes the filter, in order of first appearance (so the result is deterministic).
 */
export async function collectAttributeCombinations(
  conversations: AsyncIterable<Conversation> | Iterable<Conversation>,
  options: CollectCombinationsOptions = {},
): Promise<AttributeValues[]> {
  const schema = options.schema ?? STEERLM;
  const filter = options.filter ?? topValueFilter('quality');
  const seen = new Map<string, AttributeValues>();
  for await (const conversation of conversations) {
    for (const turn of conversation.turns) {
      if (turn.role !== 'assistant' || turn.attributes === undefined || Object.keys(turn.attributes).length === 0) continue;
      const key = formatAttributes(turn.attributes, schema);
      if (!seen.has(key) && filter(turn.attributes, schema)) seen.set(key, turn.attributes);
    }
  }
  return [...seen.values()];
}

/** Returns the combination drawn uniformly for one prompt; the same seed and prompt id always draw the same. */
export function pickCombination(combinations: readonly AttributeValues[], promptId: string, seed: number): AttributeValues {
  if (combinations.length === 0) {
    throw new InvalidOptionError('there are no attribute combinations to sample from', {
      option: 'combinations',
      hint: 'the filter removed every combination of the dataset; loosen it',
    });
  }
  const random = seededRandom(hashString(`${seed}\u0000${promptId}`));
  return combinations[Math.floor(random() * combinations.length)]!;
}
