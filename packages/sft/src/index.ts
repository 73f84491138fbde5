export * from './backend';
export * from './kernels';
export * from './io';
export * from './models';
export * from './trainer';
export * from './parallel';
export * from './export';
