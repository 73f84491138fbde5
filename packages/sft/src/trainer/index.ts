export { trainConditionedSFT, trainConditionedSFTEvents, type TrainConditionedSFTOptions, type TrainSummary } from './train-conditioned-sft';
export { tokenizeConversation, type LossMaskOptions, type TokenizedExample } from './loss-mask';
export { dropAttributes } from './attribute-dropout';
export { bucketBatches, packedBatches, shuffledIndexes, type TrainingBatch } from './batching';
export { learningRateAt, type LearningRateSchedule } from './learning-rate-schedule';
export { listCheckpoints, readCheckpointState, type CheckpointState, type TrainingPosition } from './checkpoint';
export { Optimizer, batchLossSum, trainableSet, type StepGradients, type StepOutcome, type TrainableSet } from './train-step';
export { softmax, steerLM2Loss, steerLM2Weights, type SteerLM2Response, type SteerLM2Weights } from './steerlm2-objective';
export { lossCurveSvg } from './loss-curve-svg';
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
