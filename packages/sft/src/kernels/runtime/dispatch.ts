/** Workgroup-count helpers for WGSL dispatches. */

/** Returns ceil(size / per), the number of workgroups that cover `size` items, `per` at a time. */
export function workgroupCount(size: number, per: number): number {
  return Math.ceil(size / per);
}

/**
 * Returns a [x, y, 1] dispatch covering `groups` workgroups in a 1-D kernel, spread over y when
 * x would pass `maxPerDimension`; the kernel recovers the flat index as wid.x + wid.y * nwg.x.
 */
export function flatDispatch(groups: number, maxPerDimension = 65535): [number, number, number] {
  if (groups <= maxPerDimension) return [groups, groups === 0 ? 0 : 1, 1];
  const y = Math.ceil(groups / maxPerDimension);
  return [Math.ceil(groups / y), y, 1];
}
