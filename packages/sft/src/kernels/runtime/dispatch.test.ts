import { describe, expect, it } from 'vitest';
import { maxWorkgroupsPerDimension, workgroupGrid } from './dispatch';

describe('workgroupGrid', () => {
  it('keeps counts within one dimension on x', () => {
    expect(workgroupGrid(0)).toEqual([0, 1, 1]);
    expect(workgroupGrid(7)).toEqual([7, 1, 1]);
    expect(workgroupGrid(maxWorkgroupsPerDimension)).toEqual([65535, 1, 1]);
  });

  it('spreads larger counts over y, covering every workgroup with x under the limit', () => {
    expect(workgroupGrid(65536)).toEqual([32768, 2, 1]);
    for (const count of [65536, 131071, 200_000, 65535 * 65535]) {
      const [x, y, z] = workgroupGrid(count);
      expect(z).toBe(1);
      expect(x).toBeLessThanOrEqual(maxWorkgroupsPerDimension);
      expect(x * y).toBeGreaterThanOrEqual(count);
      expect(x * (y - 1)).toBeLessThan(count); // no whole row of idle workgroups
    }
  });

  it('honours a smaller per-dimension limit', () => {
    expect(workgroupGrid(10, 4)).toEqual([4, 3, 1]);
    expect(workgroupGrid(4, 4)).toEqual([4, 1, 1]);
  });
});
