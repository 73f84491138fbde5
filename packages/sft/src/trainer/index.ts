/**
 * `@steerlm/sft/trainer`: the pieces under trainConditionedSFT, for custom loops and benchmarks: the
 * optimizer step, the trainable set, batching, loss masks, the learning-rate schedule and the SteerLM 2.0
 * objective and batches.
 */
export { batchLossSum, Optimizer, trainableSet, type StepGradients, type StepOutcome, type TrainableSet } from './train-step';
export type { LossScaleOptions, LossScaleReport } from '../kernels/adamw/loss-scale';
export type { LossScaleCheckpoint } from './mixed-precision-state';
export { bucketBatches, packedBatches, type TrainingBatch } from './batching';
export { learningRateAt, type LearningRateSchedule } from './learning-rate-schedule';
export { dropAttributes } from './attribute-dropout';
export { steerLM2Loss, steerLM2Weights, type SteerLM2Response, type SteerLM2Weights } from './steerlm2-objective';
export { lossCurveSvg } from './loss-curve-svg';
export { groupWeights, rowLogProbabilities } from './train-steerlm2';
export { steerLM2Group, type SteerLM2Group, type SteerLM2GroupOptions } from './steerlm2-batches';
export { maskedSegments, type MaskedSegment } from './loss-mask';
export { describeFileError, ensureWritableFolder, runFolderEntries } from './run-folder';
export { dataDigest, fingerprintDifferences, runFingerprint } from './run-fingerprint';
