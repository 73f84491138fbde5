/**
 * Returns the `steerlm sft train` arguments of a tiny from-scratch run (the `tiny` init with a 300-token
 * BPE, OASST labels) on `data` into `output`, then `flags`: more flags, space-separated (no value may
 * hold a space).
 */
export function tinySftTrainArgs(data: string, output: string, flags = ''): string[] {
  const rest = `--init tiny --vocab-size 300 --schema oasst ${flags}`.split(' ').filter((part) => part !== '');
  return ['sft', 'train', '--data', data, '--output', output, ...rest];
}
