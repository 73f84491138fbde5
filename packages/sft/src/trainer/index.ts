/**
 * `@steerlm/sft/trainer`: the pieces under trainConditionedSFT, for custom loops and benchmarks: the
 * optimizer step, the trainable set, batching, the learning-rate schedule and the SteerLM 2.0 objective.
 */
export { batchLossSum, Optimizer, trainableSet, type StepGradients, type StepOutcome, type TrainableSet } from './train-step';
export { bucketBatches, packedBatches, type TrainingBatch } from './batching';
export { learningRateAt, type LearningRateSchedule } from './learning-rate-schedule';
export { dropAttributes } from './attribute-dropout';
export { steerLM2Loss, steerLM2Weights, type SteerLM2Response, type SteerLM2Weights } from './steerlm2-objective';
export { lossCurveSvg } from './loss-curve-svg';
