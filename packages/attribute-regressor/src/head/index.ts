export { maskedMeanSquaredError, type MaskedLoss } from './masked-mse';
export { fitStandardizer, standardize, unstandardize, type Standardizer } from './standardizer';
export { RegressionHead, type HeadParameters, type RegressionHeadConfig } from './regression-head';
export { evaluateHead, trainRegressionHead, type HeadDataset, type HeadTrainingOptions, type HeadTrainingResult } from './train-head';
export { fitRidgeHead } from './ridge-regression';
export { ridgeCrossValidationErrors } from './ridge-cross-validation';
