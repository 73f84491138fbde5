export { DEFAULT_DEMO_OPTIONS, resolveDemoOptions, type DemoModelShape, type DemoOptions, type ResolvedDemoOptions } from './demo-options';
export type { DemoClaims, DemoGoal, DemoResult, DemoStage, SteeringClaim } from './demo-result';
export { DEMO_STAGES, runDemo } from './run-demo';
export { formatDemoSummary } from './demo-summary';
export { renderDemoHtml, writeDemoReport } from './demo-report';
export { BatchingLanguageModel } from './batching-language-model';
export { STEERING_GRID, generateInBatches, measureCorrectness, measureSteering, type CorrectnessSample, type DemoSampling } from './evaluate-demo-model';
