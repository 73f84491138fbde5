export * from './backend';
export * from './kernels';
export * from './io';
export * from './models';
export * from './trainer';
export * from './parallel';
export * from './export';
export { MODEL_FAMILIES, modelFamily, unknownFamily, type CacheGeometry, type ModelFamily } from './families';
