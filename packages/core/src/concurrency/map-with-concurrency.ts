/**
 * Returns `worker` applied to every item, results in item order, running at most `concurrency` calls
 * at once. After a failure no new item starts; it rejects with the first failure once the calls
 * already running have settled (so no work is left running behind the caller's back).
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], concurrency: number, worker: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lanes = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  const run = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await worker(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, run));
  if (failure) throw failure.error;
  return results;
}
