export { hashString, SeededRandom } from './seeded-random';
