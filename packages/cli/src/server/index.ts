export { createSteeringApp, type SteeringApp, type SteeringAppOptions } from './create-steering-app';
export { startSteeringServer, isLoopbackHost, type SteeringServer, type SteeringServerOptions } from './start-steering-server';
export { RequestScheduler, type RequestSchedulerOptions } from './request-scheduler';
export { ServerRequestError, describeRequestError, type OpenAIErrorBody, type ServerRequestErrorOptions } from './server-request-error';
export { playgroundPage, type PlaygroundPageOptions } from './playground-page';
export { prepareChatRequest, prepareCompletionRequest, resolveAttributes, type PreparedGeneration, type SteeringContext } from './prepare-generation';
export type { RequestLimits } from './request-schemas';
