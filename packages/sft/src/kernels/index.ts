/**
 * Public API of the kernels: the WGSL runtime and one line per kernel folder. The test helpers
 * (./testing) are imported by tests directly and are not part of the package API.
 */
export * from './runtime';
export * from './matmul';
export * from './adamw';
export * from './attention';
export * from './rms-norm';
export * from './layer-norm';
export * from './cross-entropy';
export * from './activations';
export * from './rope';
export * from './embedding';
