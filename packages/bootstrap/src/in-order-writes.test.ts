import { describe, expect, it } from 'vitest';
import { InOrderWrites } from './in-order-writes';

describe('InOrderWrites', () => {
  it('writes each index’s records once all earlier indices have handed theirs over, and never makes a worker wait for them', async () => {
    const written: string[] = [];
    const writes = new InOrderWrites<string>(async (record) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      written.push(record);
    });
    await writes.deliver(2, ['c1', 'c2']);
    await writes.deliver(1, []);
    expect(written).toEqual([]);
    await writes.deliver(0, ['a']);
    expect(written).toEqual(['a', 'c1', 'c2']);
    await writes.deliver(4, ['e']);
    await writes.deliver(3, ['d']);
    expect(written).toEqual(['a', 'c1', 'c2', 'd', 'e']);
  });

  it('rejects when a write fails', async () => {
    const writes = new InOrderWrites<string>(async () => {
      throw new Error('disk full');
    });
    await expect(writes.deliver(0, ['a'])).rejects.toThrow('disk full');
  });
});
