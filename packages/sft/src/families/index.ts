export { familyImplementation, FAMILY_IMPLEMENTATIONS, modelFamily } from './registry';
export type { CacheGeometry, FamilyImplementation, ModelFamily } from './model-family';
export { MODEL_FAMILY_NAMES, unknownFamily, type ModelFamilyName } from '../io/hf-config/config-families';
