import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore';

describe('Semaphore', () => {
  it('never lets more than `limit` tasks run at once and serves waiters in order', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, async (_, index) => {
        const release = await semaphore.acquire();
        order.push(index);
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        release();
        release();
      }),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(semaphore.active).toBe(0);
  });

  it('lets an aborted waiter leave the queue', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    release();
    expect(semaphore.active).toBe(0);
    (await semaphore.acquire())();
  });

  it('rejects a bad limit', () => {
    expect(() => new Semaphore(0)).toThrow(/concurrency/);
  });
});
