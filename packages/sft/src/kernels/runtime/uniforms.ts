/**
 * Uniform values of a WGSL program: scalars (u32, i32, f32), packed in declaration order into one
 * `struct Uniforms` (4 bytes each, size rounded up to 16 bytes as WGSL requires).
 */

/** WGSL scalar types a uniform field may have. */
export type UniformType = 'u32' | 'i32' | 'f32';

/** One named uniform scalar. */
export interface UniformField {
  name: string;
  type: UniformType;
  value: number;
}

/** Returns the WGSL declaration `struct Uniforms { … }` for `fields`. */
export function declareUniformStruct(fields: readonly UniformField[]): string {
  const body = fields.map((field) => `  ${field.name}: ${field.type},`).join('\n');
  return `struct Uniforms {\n${body}\n}`;
}

/** Returns the bytes of `fields` laid out as `struct Uniforms` (length a multiple of 16). */
export function packUniforms(fields: readonly UniformField[]): ArrayBuffer {
  const size = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const bytes = new ArrayBuffer(size);
  const view = new DataView(bytes);
  fields.forEach((field, index) => {
    const offset = index * 4;
    if (field.type === 'f32') view.setFloat32(offset, field.value, true);
    else if (field.type === 'i32') view.setInt32(offset, field.value, true);
    else view.setUint32(offset, field.value >>> 0, true);
  });
  return bytes;
}
