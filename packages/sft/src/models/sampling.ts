import { InvalidOptionError } from '@steerlm/core';

/** Sampling settings (0 temperature = greedy). */
export interface SamplingOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
}

/** Throws an InvalidOptionError when a sampling setting is out of range. */
export function validateSamplingOptions(options: SamplingOptions): void {
  const check = (ok: boolean, option: string, message: string) => {
    if (!ok) throw new InvalidOptionError(message, { option });
  };
  const { temperature = 1, topK = 0, topP = 1, repetitionPenalty = 1 } = options;
  check(temperature >= 0 && Number.isFinite(temperature), 'temperature', `temperature must be >= 0, got ${temperature}`);
  check(Number.isInteger(topK) && topK >= 0, 'topK', `topK must be a non-negative integer, got ${topK}`);
  check(topP > 0 && topP <= 1, 'topP', `topP must be in (0, 1], got ${topP}`);
  check(repetitionPenalty > 0 && Number.isFinite(repetitionPenalty), 'repetitionPenalty', `repetitionPenalty must be > 0, got ${repetitionPenalty}`);
}

/**
 * Returns the next token id from one row of logits: repetition penalty on tokens already seen (the
 * CTRL / Hugging Face rule), then temperature, top-k and top-p filtering, then a draw from `random`.
 * With top-k and top-p filtering the draw walks the kept ids by descending score; without (the default)
 * it walks all ids in id order, which draws each with the same probability and needs no sort.
 */
export function sampleToken(logits: Float32Array, seen: ReadonlySet<number>, options: SamplingOptions, random: () => number): number {
  const penalty = options.repetitionPenalty ?? 1;
  // The logits are read in place unless the penalty changes some (the caller's row stays as it was).
  let scores = logits;
  if (penalty !== 1) {
    scores = Float32Array.from(logits);
    for (const token of seen) {
      const value = scores[token]!;
      scores[token] = value > 0 ? value / penalty : value * penalty;
    }
  }
  const temperature = options.temperature ?? 1;
  if (temperature === 0) {
    let best = 0;
    for (let index = 1; index < scores.length; index++) if (scores[index]! > scores[best]!) best = index;
    return best;
  }
  const topK = options.topK ?? 0;
  if ((topK === 0 || topK >= scores.length) && (options.topP ?? 1) >= 1) return drawInIdOrder(scores, temperature, random);
  const order = descendingOrder(scores);
  const count = topK > 0 && topK < order.length ? topK : order.length;
  const max = scores[order[0]!]!;
  const weights = new Float64Array(count);
  let total = 0;
  for (let index = 0; index < count; index++) total += weights[index] = Math.exp((scores[order[index]!]! - max) / temperature);
  const topP = options.topP ?? 1;
  let keep = count;
  if (topP < 1) {
    let cumulative = 0;
    for (let index = 0; index < count; index++) {
      cumulative += weights[index]! / total;
      if (cumulative >= topP) {
        keep = index + 1;
        break;
      }
    }
  }
  let keptTotal = 0;
  for (let index = 0; index < keep; index++) keptTotal += weights[index]!;
  let draw = random() * keptTotal;
  for (let index = 0; index < keep; index++) {
    draw -= weights[index]!;
    if (draw <= 0) return order[index]!;
  }
  return order[keep - 1]!;
}

/** The weights of {@link drawInIdOrder}, kept between draws (one array for every row and step). */
let drawWeights = new Float64Array(0);

/**
 * Draws from the whole softmax at `temperature` with no truncation, walking the ids in order: the
 * probability of each id is the same as in the sorted walk, with no sort and no new array (sorting
 * 8,192 scores cost about as much as the 25m model's engine spends on a batched token).
 */
function drawInIdOrder(scores: Float32Array, temperature: number, random: () => number): number {
  const V = scores.length;
  if (drawWeights.length < V) drawWeights = new Float64Array(V);
  const weights = drawWeights;
  let max = -Infinity;
  for (let id = 0; id < V; id++) if (scores[id]! > max) max = scores[id]!;
  let total = 0;
  for (let id = 0; id < V; id++) total += weights[id] = Math.exp((scores[id]! - max) / temperature);
  let draw = random() * total;
  let last = 0;
  for (let id = 0; id < V; id++) {
    const weight = weights[id]!;
    if (weight === 0) continue;
    last = id;
    draw -= weight;
    if (draw <= 0) return id;
  }
  return last;
}

/** Vocabularies from this size are ordered by the radix sort, smaller ones by the native sort (faster there). */
const RADIX_ORDER_FROM = 4096;

/**
 * Returns the token ids by descending score, equal scores by ascending id (the order of a stable sort).
 * Each id's key is 2^32 − 1 − the score's order-preserving 32-bit pattern (−0 as 0). Small vocabularies
 * sort natively, the key packed with the id into one float64 (key · 2^21 + id, exact below 2^53); from
 * {@link RADIX_ORDER_FROM} ids a linear radix sort takes over (at 8,192 ids the native sort took ≈ 1.5 ms
 * a call, which a batch pays per row and token; the radix sort about a third of that).
 */
function descendingOrder(scores: Float32Array): Uint32Array {
  const V = scores.length;
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, V);
  const keys = new Uint32Array(V);
  for (let id = 0; id < V; id++) {
    const pattern = bits[id] === 0x80000000 ? 0 : bits[id]!; // −0 is 0
    // Negative floats: all bits flipped; positive ones: the sign bit set. Unsigned order then follows the value.
    const sortable = pattern & 0x80000000 ? ~pattern >>> 0 : (pattern | 0x80000000) >>> 0;
    keys[id] = 0xffffffff - sortable;
  }
  if (V >= RADIX_ORDER_FROM) return radixOrder(keys);
  const packed = new Float64Array(V);
  for (let id = 0; id < V; id++) packed[id] = keys[id]! * 2 ** 21 + id;
  packed.sort();
  const order = new Uint32Array(V);
  for (let index = 0; index < V; index++) order[index] = packed[index]! % 2 ** 21;
  return order;
}

/**
 * Returns the ids 0..n−1 by ascending `keys`, equal keys by ascending id: a least-significant-digit radix
 * sort, three stable passes of 11, 11 and 10 bits. Overwrites `keys`.
 */
function radixOrder(initialKeys: Uint32Array): Uint32Array {
  const V = initialKeys.length;
  let keys: Uint32Array = initialKeys;
  let order: Uint32Array = new Uint32Array(V);
  for (let id = 0; id < V; id++) order[id] = id;
  let nextKeys: Uint32Array = new Uint32Array(V);
  let nextOrder: Uint32Array = new Uint32Array(V);
  const counts = new Uint32Array(2048);
  for (const [shift, width] of [
    [0, 11],
    [11, 11],
    [22, 10],
  ] as const) {
    const mask = (1 << width) - 1;
    counts.fill(0);
    for (let index = 0; index < V; index++) counts[(keys[index]! >>> shift) & mask]!++;
    let start = 0;
    for (let digit = 0; digit <= mask; digit++) {
      const count = counts[digit]!;
      counts[digit] = start;
      start += count;
    }
    for (let index = 0; index < V; index++) {
      const key = keys[index]!;
      const at = counts[(key >>> shift) & mask]!++;
      nextKeys[at] = key;
      nextOrder[at] = order[index]!;
    }
    [keys, nextKeys] = [nextKeys, keys];
    [order, nextOrder] = [nextOrder, order];
  }
  return order;
}
