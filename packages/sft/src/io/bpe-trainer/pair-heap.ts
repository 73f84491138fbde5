/** A candidate merge: how often the pair (left, right) of symbol ids occurs. */
export interface PairCandidate {
  count: number;
  left: number;
  right: number;
}

function before(a: PairCandidate, b: PairCandidate): boolean {
  if (a.count !== b.count) return a.count > b.count;
  if (a.left !== b.left) return a.left < b.left;
  return a.right < b.right;
}

/**
 * A binary max-heap of pair candidates: highest count first, ties broken by the smaller left id then
 * the smaller right id, so training is deterministic. Stale entries are skipped by the caller.
 */
export class PairHeap {
  private readonly items: PairCandidate[] = [];

  /** Returns the number of entries (stale ones included). */
  get size(): number {
    return this.items.length;
  }

  /** Adds a candidate; returns nothing. */
  push(item: PairCandidate): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(items[index]!, items[parent]!)) break;
      [items[index], items[parent]] = [items[parent]!, items[index]!];
      index = parent;
    }
  }

  /** Returns and removes the best candidate, or undefined when empty. */
  pop(): PairCandidate | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let best = index;
        if (left < items.length && before(items[left]!, items[best]!)) best = left;
        if (right < items.length && before(items[right]!, items[best]!)) best = right;
        if (best === index) break;
        [items[index], items[best]] = [items[best]!, items[index]!];
        index = best;
      }
    }
    return top;
  }
}
