import { defineAttributeSchema, type AttributeDefinition } from './attribute-schema';

/** The canonical attribute order of SteerLM label strings (NeMo-Aligner's STEERLM_LABELS). */
export const CANONICAL_ATTRIBUTE_ORDER = Object.freeze([
  'quality',
  'toxicity',
  'humor',
  'creativity',
  'helpfulness',
  'correctness',
  'coherence',
  'complexity',
  'verbosity',
] as const);

const descriptions: Record<string, string> = {
  quality: 'overall quality of the response',
  toxicity: 'rudeness, insults or harmful content',
  humor: 'how funny the response is',
  creativity: 'originality and variety of the response',
  violence: 'violent content',
  helpfulness: 'overall helpfulness to the prompt',
  correctness: 'inclusion of all pertinent facts without errors',
  coherence: 'consistency and clarity of expression',
  complexity: 'intellectual depth needed to write the response',
  verbosity: 'amount of detail relative to what the prompt asks',
  not_appropriate: 'content not appropriate for the assistant',
};

function scale(names: readonly string[], max: number, defaults: Record<string, number> = {}): AttributeDefinition[] {
  return names.map((name) => ({
    name,
    min: 0,
    max,
    ...(defaults[name] !== undefined ? { default: defaults[name] } : {}),
    description: descriptions[name]!,
  }));
}

/** oasst1's attributes on 0..4: quality, toxicity, humor, creativity. */
export const OASST = defineAttributeSchema({
  attributes: scale(['quality', 'toxicity', 'humor', 'creativity'], 4, { quality: 4, toxicity: 0, humor: 0, creativity: 0 }),
});

/** HelpSteer's attributes on 0..4: helpfulness, correctness, coherence, complexity, verbosity. */
export const HELPSTEER = defineAttributeSchema({
  attributes: scale(['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity'], 4, {
    helpfulness: 4,
    correctness: 4,
    coherence: 4,
    complexity: 2,
    verbosity: 2,
  }),
});

/** All nine NeMo-Aligner SteerLM attributes on 0..4, in the canonical order. */
export const STEERLM = defineAttributeSchema({ attributes: [...OASST.attributes, ...HELPSTEER.attributes] });

/** The SteerLM paper's (2023) attributes on its 0..9 scale. */
export const STEERLM_PAPER_2023 = defineAttributeSchema({
  attributes: scale(['quality', 'toxicity', 'humor', 'creativity', 'violence', 'helpfulness', 'not_appropriate'], 9, {
    quality: 9,
    toxicity: 0,
    humor: 0,
    creativity: 0,
    violence: 0,
    helpfulness: 9,
    not_appropriate: 0,
  }),
});
