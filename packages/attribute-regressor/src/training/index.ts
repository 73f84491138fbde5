export { hashString, SeededRandom } from './seeded-random';
export { splitRowsByGroup, type GroupSplit } from './split-by-group';
