export * from './errors';
export * from './attributes';
export * from './prompt-template';
export * from './spec';
export * from './data';
export * from './remote';
export * from './random';
