export { ProgressDisplay, type ProgressDisplayOptions } from './progress-display';
export { formatTable } from './format-table';
export { formatDuration, formatNumber } from './format-duration';
