// `@steerlm/bootstrap/node`: the bootstrap runs, which append to resumable JSONL files. Node-only; the
// root entry is browser-safe.
export { runBootstrap, type BootstrapOptions, type BootstrapSummary } from './run-bootstrap';
export { generateSteerLM2Data, type SteerLM2DataOptions, type SteerLM2DataSummary } from './steerlm2-data';
export type { AttributeProbabilityOptions } from './attribute-log-probability';
export type { BootstrapPrompt } from './bootstrap-prompt';
export type { BootstrapRecord } from './run-bootstrap';
export type { SteerLM2Record, SteerLM2Response } from './steerlm2-data';
