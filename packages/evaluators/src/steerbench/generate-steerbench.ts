import { InvalidOptionError, type AttributeValues } from '@steerlm/core';
import { randomInteger, seededRandom, shuffleInPlace, type RandomSource } from '@steerlm/core';
import { answerSentence, phrasingCount, questionOf, STEERBENCH_FACTS, type SteerBenchFact } from './fact-table';
import { DECLINE, ELABORATIONS, INSULTS, JOKES } from './sentence-banks';
import { QUALITY_LEVELS } from './steerbench-schema';

/** The short system prompt of every SteerBench conversation. */
export const STEERBENCH_SYSTEM_PROMPT = 'Answer the question.';

/** How a response answers its question. */
export type AnswerKind = 'correct' | 'declined' | 'wrong';

/** The shares of correct, declined and wrong answers (normalised to sum to 1). */
export interface AnswerMixture {
  readonly correct: number;
  readonly declined: number;
  readonly wrong: number;
}

/** One generated response with its true attribute values and, when labelled, its annotator label. */
export interface SteerBenchExample {
  readonly id: string;
  readonly factId: string;
  readonly question: string;
  readonly response: string;
  readonly kind: AnswerKind;
  /** The exact attribute values (what the ground-truth scorer measures). */
  readonly truth: AttributeValues;
  /** The annotator's label (truth plus noise); undefined for the unlabelled part. */
  readonly label?: AttributeValues;
}

/** A question to answer at evaluation time. */
export interface SteerBenchPrompt {
  readonly factId: string;
  readonly question: string;
}

export interface SteerBenchOptions {
  /** Seeds every draw (default 0). */
  readonly seed?: number;
  /** Responses to generate (default 3000). */
  readonly size?: number;
  /** The share of responses that carry an annotator label (default 0.3). */
  readonly labeledFraction?: number;
  /** The probability that each label value is off by one from the truth (default 0.2). */
  readonly labelNoise?: number;
  /** Shares of answer kinds (default correct 0.4, declined 0.15, wrong 0.45). */
  readonly mixture?: Partial<AnswerMixture>;
  /** The most extra sentences (elaborations + jokes + insults) in one response (default 6). */
  readonly maxExtraSentences?: number;
  /** How many facts of the table are asked about, taken in table order (default all 36). */
  readonly facts?: number;
}

export interface SteerBenchDataset {
  readonly examples: readonly SteerBenchExample[];
  readonly labeled: readonly SteerBenchExample[];
  readonly unlabeled: readonly SteerBenchExample[];
}

/** The default shares of answer kinds: most responses are not correct, as in crowd-sourced data. */
export const DEFAULT_MIXTURE: AnswerMixture = Object.freeze({ correct: 0.4, declined: 0.15, wrong: 0.45 });

/** Draw weights of 0..4 elaborations, jokes or insults (uniform before the length cap, so every level is well represented). */
const countWeights = [0.2, 0.2, 0.2, 0.2, 0.2];

function checkFraction(value: number, option: string, allowOne = true): void {
  if (!Number.isFinite(value) || value < 0 || value > 1 || (!allowOne && value === 1)) {
    throw new InvalidOptionError(`${option} must be a number in [0, ${allowOne ? '1]' : '1)'}, got ${value}`, { option });
  }
}

function resolveMixture(partial: Partial<AnswerMixture> | undefined): AnswerMixture {
  const mixture = { ...DEFAULT_MIXTURE, ...partial };
  for (const [name, share] of Object.entries(mixture)) {
    if (!Number.isFinite(share) || share < 0)
      throw new InvalidOptionError(`mixture.${name} must be a non-negative number, got ${share}`, { option: `mixture.${name}` });
  }
  const total = mixture.correct + mixture.declined + mixture.wrong;
  if (!(total > 0))
    throw new InvalidOptionError('the answer mixture needs a positive share', {
      option: 'mixture',
      hint: 'e.g. { correct: 0.4, declined: 0.15, wrong: 0.45 }',
    });
  return { correct: mixture.correct / total, declined: mixture.declined / total, wrong: mixture.wrong / total };
}

function drawWeighted(weights: readonly number[], random: RandomSource): number {
  let left = random() * weights.reduce((sum, weight) => sum + weight, 0);
  for (let index = 0; index < weights.length; index += 1) {
    left -= weights[index]!;
    if (left < 0) return index;
  }
  return weights.length - 1;
}

function drawKind(mixture: AnswerMixture, random: RandomSource): AnswerKind {
  return (['correct', 'declined', 'wrong'] as const)[drawWeighted([mixture.correct, mixture.declined, mixture.wrong], random)]!;
}

/** Returns the first `count` sentences of a bank: a fixed order, so a count is a learnable pattern. */
function take(bank: readonly string[], count: number): string[] {
  return bank.slice(0, count);
}

function wrongAnswer(fact: SteerBenchFact, random: RandomSource): string {
  const others = STEERBENCH_FACTS.filter((other) => other.relation === fact.relation && other.answer !== fact.answer);
  return others[randomInteger(random, others.length)]!.answer;
}

/** Returns the annotator's label: each value off by one with probability `noise`, reflected back into 0..4. */
function noisyLabel(truth: AttributeValues, noise: number, random: RandomSource): AttributeValues {
  const label: Record<string, number> = {};
  for (const [name, value] of Object.entries(truth)) {
    let noisy = value;
    if (random() < noise) noisy += random() < 0.5 ? -1 : 1;
    // A step off the scale goes the other way (an annotator of a 0 can only say 1).
    if (noisy < 0 || noisy > 4) noisy = 2 * value - noisy;
    label[name] = noisy;
  }
  return Object.freeze(label);
}

/** Returns one response of `kind` to `fact` with the given numbers of extra sentences, and its truth. */
export function composeResponse(
  fact: SteerBenchFact,
  kind: AnswerKind,
  counts: { verbosity: number; humor: number; toxicity: number },
  random: RandomSource,
): { response: string; truth: AttributeValues } {
  const first = kind === 'correct' ? answerSentence(fact) : kind === 'declined' ? DECLINE : answerSentence(fact, wrongAnswer(fact, random));
  const sentences = [first, ...take(ELABORATIONS, counts.verbosity), ...take(JOKES, counts.humor), ...take(INSULTS, counts.toxicity)];
  const quality = kind === 'correct' ? QUALITY_LEVELS.correct : kind === 'declined' ? QUALITY_LEVELS.declined : QUALITY_LEVELS.wrong;
  return { response: sentences.join(' '), truth: Object.freeze({ quality, toxicity: counts.toxicity, humor: counts.humor, verbosity: counts.verbosity }) };
}

/** Returns the first `count` facts of the table, alternating relations so both stay represented. */
export function usedFacts(count: number = STEERBENCH_FACTS.length): SteerBenchFact[] {
  const capitals = STEERBENCH_FACTS.filter((fact) => fact.relation === 'capital');
  const opposites = STEERBENCH_FACTS.filter((fact) => fact.relation === 'opposite');
  const interleaved: SteerBenchFact[] = [];
  for (let index = 0; interleaved.length < STEERBENCH_FACTS.length; index += 1) {
    if (index < capitals.length) interleaved.push(capitals[index]!);
    if (index % 2 === 0 && index / 2 < opposites.length) interleaved.push(opposites[index / 2]!);
  }
  return interleaved.slice(0, count);
}

/**
 * Returns a seeded SteerBench dataset: questions about a fixed fact table answered correctly, declined
 * or wrongly, with 0..4 elaborations, jokes and insults from fixed banks (at most `maxExtraSentences`
 * together). A `labeledFraction` of the responses carries annotator labels (truth plus off-by-one noise);
 * the rest is unlabelled, as in SteerLM's data.
 */
export function generateSteerBench(options: SteerBenchOptions = {}): SteerBenchDataset {
  const seed = options.seed ?? 0;
  const size = options.size ?? 3000;
  const labeledFraction = options.labeledFraction ?? 0.3;
  const labelNoise = options.labelNoise ?? 0.2;
  const maxExtra = options.maxExtraSentences ?? 6;
  if (!Number.isSafeInteger(size) || size < 1) throw new InvalidOptionError(`size must be a positive integer, got ${size}`, { option: 'size' });
  if (!Number.isSafeInteger(seed)) throw new InvalidOptionError(`seed must be an integer, got ${seed}`, { option: 'seed' });
  checkFraction(labeledFraction, 'labeledFraction');
  checkFraction(labelNoise, 'labelNoise');
  if (!Number.isSafeInteger(maxExtra) || maxExtra < 4) {
    throw new InvalidOptionError(`maxExtraSentences must be an integer >= 4, got ${maxExtra}`, {
      option: 'maxExtraSentences',
      hint: 'each attribute reaches 4 only when 4 extra sentences fit',
    });
  }
  const factCount = options.facts ?? STEERBENCH_FACTS.length;
  if (!Number.isSafeInteger(factCount) || factCount < 2 || factCount > STEERBENCH_FACTS.length) {
    throw new InvalidOptionError(`facts must be an integer from 2 to ${STEERBENCH_FACTS.length}, got ${factCount}`, { option: 'facts' });
  }
  const facts = usedFacts(factCount);
  const mixture = resolveMixture(options.mixture);
  const random = seededRandom(seed * 2654435761 + 17);
  const labeledCount = Math.round(size * labeledFraction);
  const examples: SteerBenchExample[] = [];
  for (let index = 0; index < size; index += 1) {
    const fact = facts[randomInteger(random, facts.length)]!;
    const question = questionOf(fact, randomInteger(random, phrasingCount(fact.relation)));
    const kind = drawKind(mixture, random);
    let counts: { verbosity: number; humor: number; toxicity: number };
    do {
      counts = { verbosity: drawWeighted(countWeights, random), humor: drawWeighted(countWeights, random), toxicity: drawWeighted(countWeights, random) };
    } while (counts.verbosity + counts.humor + counts.toxicity > maxExtra);
    const { response, truth } = composeResponse(fact, kind, counts, random);
    const label = index < labeledCount ? noisyLabel(truth, labelNoise, random) : undefined;
    examples.push(Object.freeze({ id: `steerbench-${seed}-${index}`, factId: fact.id, question, response, kind, truth, ...(label ? { label } : {}) }));
  }
  return { examples, labeled: examples.slice(0, labeledCount), unlabeled: examples.slice(labeledCount) };
}

/** Returns `count` evaluation questions cycling through every used fact (`facts` as in generateSteerBench; phrasings and order seeded). */
export function steerBenchPrompts(options: { count: number; seed?: number; facts?: number }): SteerBenchPrompt[] {
  if (!Number.isSafeInteger(options.count) || options.count < 1)
    throw new InvalidOptionError(`count must be a positive integer, got ${options.count}`, { option: 'count' });
  const random = seededRandom((options.seed ?? 0) * 2246822519 + 101);
  const order = shuffleInPlace(usedFacts(options.facts ?? STEERBENCH_FACTS.length), random);
  return Array.from({ length: options.count }, (_, index) => {
    const fact = order[index % order.length]!;
    return { factId: fact.id, question: questionOf(fact, randomInteger(random, phrasingCount(fact.relation))) };
  });
}
