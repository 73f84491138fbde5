export { hashString, normalSamples, randomInteger, seededRandom, shuffleInPlace, type RandomSource } from './seeded-random';
