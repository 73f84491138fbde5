export {
  defineAttributeSchema,
  type AttributeDefinition,
  type AttributeSchema,
  type AttributeSchemaDefinition,
  type AttributeValues,
} from './attribute-schema';
export { CANONICAL_ATTRIBUTE_ORDER, HELPSTEER, OASST, STEERLM, STEERLM_PAPER_2023 } from './presets';
export { clampToScale, convertScale, roundHalfEven, toBins } from './scales';
export { formatAttributes, parseAttributes, validateAttributes } from './attribute-values';
