/**
 * The [rows, channels] edge shapes of the row-kernel parity tests (RMSNorm, LayerNorm): one row, a single
 * channel, two channels, C below and not a multiple of the 256-wide workgroup, and a large C.
 */
export const ROW_KERNEL_SHAPES: ReadonlyArray<[rows: number, channels: number]> = [
  [1, 37],
  [5, 1],
  [3, 2],
  [4, 300],
  [2, 3000],
];

/** The shape on which the row-kernel tests also run the composed fallback: C not a multiple of the workgroup. */
export const ROW_KERNEL_FALLBACK_SHAPE: [rows: number, channels: number] = [4, 300];
