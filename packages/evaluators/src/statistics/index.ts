export { mean, standardDeviation, meanAbsoluteError, quantile } from './descriptive';
export { averageRanks, pearsonCorrelation, spearmanCorrelation } from './rank-correlation';
