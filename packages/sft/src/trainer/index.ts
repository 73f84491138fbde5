export { trainConditionedSFT, trainConditionedSFTEvents, type TrainConditionedSFTOptions, type TrainSummary } from './train-conditioned-sft';
export { tokenizeConversation, type LossMaskOptions, type TokenizedExample } from './loss-mask';
export { dropAttributes } from './attribute-dropout';
export { bucketBatches, packedBatches, shuffledIndexes, type TrainingBatch } from './batching';
export { learningRateAt, type LearningRateSchedule } from './learning-rate-schedule';
export { listCheckpoints, readCheckpointState, type CheckpointState, type TrainingPosition } from './checkpoint';
export { Optimizer, batchLossSum, trainableSet, type StepGradients, type StepOutcome, type TrainableSet } from './train-step';
export { softmax, steerLM2Loss, steerLM2Weights, type SteerLM2Response, type SteerLM2Weights } from './steerlm2-objective';
export { lossCurveSvg } from './loss-curve-svg';
export { trainSteerLM2, groupWeights, rowLogProbabilities, type SteerLM2Summary, type TrainSteerLM2Options } from './train-steerlm2';
export { steerLM2Group, type SteerLM2Group, type SteerLM2GroupOptions } from './steerlm2-batches';
export { maskedSegments, type MaskedSegment } from './loss-mask';
export {
  describeFileError,
  ensureWritableFolder,
  findResumeCheckpoint,
  prepareRunFolder,
  readRunStatus,
  runFolderEntries,
  writeRunStatus,
  RUN_STATUS_FILE,
  type PrepareRunFolderOptions,
  type RunStatus,
} from './run-folder';
export { dataDigest, fingerprintDifferences, runFingerprint, type RunFingerprint } from './run-fingerprint';
