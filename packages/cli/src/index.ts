export * from './server';
export * from './models';
export * from './output';
export * from './cli';
export * from './commands';
export { VERSION } from './version';
