export { hashString, hashStringSeeded } from './hash-string';
export { normalSamples, randomInteger, seededRandom, shuffleInPlace, type RandomSource } from './seeded-random';
