/** Linear warmup then cosine decay to `minLearningRate`. */
export interface LearningRateSchedule {
  learningRate: number;
  warmupSteps: number;
  totalSteps: number;
  minLearningRate: number;
}

/** Returns the learning rate of optimizer step `step` (0-based). */
export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  const { learningRate, warmupSteps, totalSteps, minLearningRate } = schedule;
  if (warmupSteps > 0 && step < warmupSteps) return (learningRate * (step + 1)) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return minLearningRate + 0.5 * (learningRate - minLearningRate) * (1 + Math.cos(Math.PI * progress));
}
