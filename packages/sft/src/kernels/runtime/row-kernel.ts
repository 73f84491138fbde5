/**
 * The frame of a row kernel over an [N, C] input (RMSNorm, LayerNorm): one workgroup per row on a
 * workgroupGrid over N, each invocation striding over the channels, with `workgroupSum` for the row sums.
 */
import { gridBuiltins, linearWorkgroup, workgroupGrid, workgroupSumSource } from './dispatch';
import type { ProgramOutput, WgslProgram } from './program';
import type { UniformField } from './uniforms';

/** Returns the uniforms `rows`, `channels` and `eps` of a row kernel (eps 0 where a pass does not use it). */
export function rowKernelUniforms(rows: number, channels: number, eps: number): UniformField[] {
  return [
    { name: 'rows', type: 'u32', value: rows },
    { name: 'channels', type: 'u32', value: channels },
    { name: 'eps', type: 'f32', value: eps },
  ];
}

/**
 * Returns the WGSL of a row kernel with `size` invocations per workgroup: `workgroupSum`, then a `main` that
 * returns past the last row and runs `body` with `row`, `base` (the row's first element) and `local` in scope.
 */
function rowKernelSource(size: number, body: string): string {
  return `
${workgroupSumSource(size)}
@compute @workgroup_size(${size})
fn main(${gridBuiltins}) {
  let row = ${linearWorkgroup};
  if (row >= uniforms.rows) { return; }
  let base = row * uniforms.channels;${body}
}`;
}

/** What differs between row kernels besides the body of `main`: the name, bindings and sizes. */
export interface RowKernelSpec {
  name: string;
  inputs: readonly string[];
  outputs: readonly ProgramOutput[];
  rows: number;
  channels: number;
  /** The `eps` uniform (default 0, for passes that do not use it). */
  eps?: number;
  workgroupSize: number;
}

/**
 * Returns the shape-independent program of a row kernel (uniforms rows, channels, eps; one workgroup per row)
 * whose `main` runs `body` (see rowKernelSource).
 */
export function rowKernelProgram({ name, inputs, outputs, rows, channels, eps = 0, workgroupSize }: RowKernelSpec, body: string): WgslProgram {
  return {
    name,
    inputs,
    outputs,
    uniforms: rowKernelUniforms(rows, channels, eps),
    dispatch: workgroupGrid(rows),
    shapeIndependent: true,
    body: rowKernelSource(workgroupSize, body),
  };
}
