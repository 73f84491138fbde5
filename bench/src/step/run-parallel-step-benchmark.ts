import type { ModelConfig } from '@steerlm/sft';
import type { StepBenchmarkOptions, StepBenchmarkResult } from './run-step-benchmark';
import type { StepShape } from './step-shapes';
export async function runParallelStepBenchmark(_options: StepBenchmarkOptions & { config: ModelConfig; shape: StepShape }): Promise<StepBenchmarkResult> {
  throw new Error('not yet');
}
