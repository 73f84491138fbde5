import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors';
import { decodeSafetensors, encodeSafetensors } from './safetensors-codec';

describe('safetensors bytes codec', () => {
  const entries = [
    { name: 'a.weight', dtype: 'F32' as const, shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: 'b.bias', dtype: 'F32' as const, shape: [3], data: Float32Array.from([1.5, -2, Math.fround(0.1)]) },
    { name: 'half', dtype: 'BF16' as const, shape: [2], data: Float32Array.from([1, -0.5]) },
    { name: 'ids', dtype: 'I64' as const, shape: [2], data: BigInt64Array.from([3n, -4n]) },
    { name: 'empty', dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
  ];

  it('round-trips tensors and metadata with an 8-byte aligned header in the documented layout', () => {
    const bytes = encodeSafetensors(entries, { metadata: { format: 'pt' } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header['a.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['b.bias'].data_offsets).toEqual([24, 36]);
    expect(header.half.data_offsets).toEqual([36, 40]);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ format: 'pt' });
    const byName = Object.fromEntries(decoded.tensors.map((tensor) => [tensor.name, tensor]));
    expect([...byName['a.weight']!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(byName['b.bias']!.data[2]).toBe(Math.fround(0.1));
    expect([...byName.half!.data]).toEqual([1, -0.5]);
    expect([...byName.ids!.data]).toEqual([3n, -4n]);
    expect(byName.empty!.shape).toEqual([0, 4]);
  });

  it('rejects truncated files and inconsistent offsets with a located ModelFormatError', () => {
    const bytes = encodeSafetensors(entries);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), { file: 'w.safetensors' })).toThrow(/w\.safetensors.*truncated safetensors file/);
    expect(() => decodeSafetensors(bytes.subarray(0, 5))).toThrow(ModelFormatError);
    const gap = JSON.stringify({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } });
    const gapped = new Uint8Array(8 + gap.length + 8);
    new DataView(gapped.buffer).setBigUint64(0, BigInt(gap.length), true);
    gapped.set(new TextEncoder().encode(gap), 8);
    expect(() => decodeSafetensors(gapped)).toThrow(/gap in the data section/);
  });

  it('refuses data that does not match its dtype or shape', () => {
    expect(() => encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [3], data: new Float32Array(2) }])).toThrow(/3 elements but the data holds 2/);
    expect(() => encodeSafetensors([{ name: 'x', dtype: 'I32', shape: [1], data: new Float32Array(1) }])).toThrow(/written from a Int32Array/);
  });
});
