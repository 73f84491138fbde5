/**
 * The description of one WGSL compute program run on tfjs tensors, and how its full source is
 * assembled: `enable` directives, then the generated bindings (inputs read-only at 0..n-1, outputs
 * read-write at n..n+m-1, then `uniforms` at n+m when there are uniform fields), then `body`.
 */
import type { DataType } from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { declareUniformStruct, type UniformField } from './uniforms';

/** WGSL extensions a program may enable (each needs the matching device feature). */
export type WgslExtension = 'f16' | 'subgroups' | 'chromium_experimental_subgroup_matrix';

/** The device feature each WGSL extension needs. */
export const EXTENSION_FEATURES: Record<WgslExtension, string> = {
  f16: 'shader-f16',
  subgroups: 'subgroups',
  chromium_experimental_subgroup_matrix: 'chromium-experimental-subgroup-matrix',
};

/** Output dtypes a program may write. */
export type ProgramDtype = Extract<DataType, 'float32' | 'int32'>;

/** One output tensor: its WGSL array name, shape and dtype. */
export interface ProgramOutput {
  name: string;
  shape: readonly number[];
  dtype?: ProgramDtype;
}

/** A WGSL compute program; `body` holds the entry point `main` and helpers, not the bindings. */
export interface WgslProgram {
  /** Kernel name (first part of the pipeline cache key, shown in printed WGSL). */
  name: string;
  /** Variant name, e.g. 'tiled-f32' or 'subgroup-matrix-f16' (part of the cache key). */
  variant?: string;
  /** WGSL array names of the inputs, in the order the tensors are given. */
  inputs: readonly string[];
  /**
   * Inputs the program writes in place (bound read_write). Only for tensors the caller owns alone
   * (optimizer moments, say): every tensor sharing the buffer sees the new values. runProgram drops
   * tfjs's CPU copy of their values; do not write a tensor whose read (data()) is still in flight.
   */
  readWriteInputs?: readonly string[];
  /**
   * Inputs bound as arrays of 4-vectors (`array<vec4<f32>>`) for 16-byte loads; the program indexes
   * them in vec4 units and must only do so where the tensor's size is a multiple of 4.
   */
  vectorInputs?: readonly string[];
  outputs: readonly ProgramOutput[];
  uniforms?: readonly UniformField[];
  enables?: readonly WgslExtension[];
  /** Number of workgroups in x, y, z. */
  dispatch: readonly [number, number, number];
  /** WGSL after the generated header: constants, helpers and `@compute … fn main(…)`. */
  body: string;
  /**
   * True when `body` does not depend on tensor shapes (sizes come from uniforms): the cache key
   * then leaves shapes out, so one pipeline serves every shape.
   */
  shapeIndependent?: boolean;
  /** Extra cache-key text for whatever else `body` was generated from (tile sizes, flags). */
  key?: string;
  /**
   * Inputs and outputs stored as packed f16 (bound `array<f16>`; needs the 'f16' enable): tensors of
   * halfStorageShape(logical shape), two values per float32 slot (see runtime/precision.ts).
   */
  halfBindings?: readonly string[];
}

/** Returns the WGSL element type that stores a tfjs dtype on the webgpu backend. */
export function wgslElementType(dtype: DataType): 'f32' | 'i32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32' || dtype === 'bool') return 'i32';
  throw new ShapeError(`WGSL kernels take float32, int32 or bool tensors, not ${dtype}`, { hint: 'cast the tensor first' });
}

/** Returns the full WGSL source of `program` for inputs of `inputDtypes`. */
export function assembleSource(program: WgslProgram, inputDtypes: readonly DataType[]): string {
  const lines: string[] = [];
  for (const extension of program.enables ?? []) lines.push(`enable ${extension};`);
  let binding = 0;
  program.inputs.forEach((name, index) => {
    const access = program.readWriteInputs?.includes(name) ? 'read_write' : 'read';
    const element = program.halfBindings?.includes(name) ? 'f16' : wgslElementType(inputDtypes[index]!);
    const type = program.vectorInputs?.includes(name) ? `vec4<${element}>` : element;
    lines.push(`@group(0) @binding(${binding++}) var<storage, ${access}> ${name}: array<${type}>;`);
  });
  for (const output of program.outputs) {
    const element = program.halfBindings?.includes(output.name) ? 'f16' : wgslElementType(output.dtype ?? 'float32');
    lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${output.name}: array<${element}>;`);
  }
  const uniforms = program.uniforms ?? [];
  if (uniforms.length > 0) {
    lines.push(declareUniformStruct(uniforms));
    lines.push(`@group(0) @binding(${binding++}) var<uniform> uniforms: Uniforms;`);
  }
  lines.push('', program.body);
  return lines.join('\n');
}

/** Returns the pipeline cache key: name, variant, dtypes, shapes (unless shape-independent) and `key`. */
export function programCacheKey(program: WgslProgram, inputs: ReadonlyArray<{ shape: readonly number[]; dtype: DataType }>): string {
  const parts = [program.name, program.variant ?? 'default'];
  parts.push(`in:${inputs.map((input) => (program.shapeIndependent ? input.dtype : `${input.dtype}[${input.shape.join(',')}]`)).join(';')}`);
  parts.push(
    `out:${program.outputs.map((output) => (program.shapeIndependent ? (output.dtype ?? 'float32') : `${output.dtype ?? 'float32'}[${output.shape.join(',')}]`)).join(';')}`,
  );
  parts.push(`u:${(program.uniforms ?? []).map((field) => `${field.name}:${field.type}`).join(',')}`);
  if (program.enables !== undefined && program.enables.length > 0) parts.push(`en:${program.enables.join(',')}`);
  if (program.readWriteInputs !== undefined && program.readWriteInputs.length > 0) parts.push(`rw:${program.readWriteInputs.join(',')}`);
  if (program.halfBindings !== undefined && program.halfBindings.length > 0) parts.push(`f16:${program.halfBindings.join(',')}`);
  if (program.vectorInputs !== undefined && program.vectorInputs.length > 0) parts.push(`vec4:${program.vectorInputs.join(',')}`);
  if (program.key !== undefined) parts.push(program.key);
  return parts.join('|');
}
