export { MODEL_FAMILIES, modelFamily } from './registry';
export type { CacheGeometry, ModelFamily } from './model-family';
export { MODEL_FAMILY_NAMES, unknownFamily, type ModelFamilyName } from '../io/hf-config/config-families';
