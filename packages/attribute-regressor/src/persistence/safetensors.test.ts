import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '@steerlm/core';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

describe('safetensors (F32)', () => {
  const tensors = {
    'b.bias': { data: Float32Array.from([1.5, -2, Math.fround(0.1)]), shape: [3] },
    'a.weight': { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] },
    empty: { data: new Float32Array(0), shape: [0, 4] },
  };

  it('round-trips tensors and metadata with an 8-byte aligned header in the documented layout', () => {
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header['a.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['b.bias'].data_offsets).toEqual([24, 36]);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ format: 'pt' });
    expect([...decoded.tensors['a.weight']!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(decoded.tensors['b.bias']!.data[2]).toBe(Math.fround(0.1));
    expect(decoded.tensors.empty!.shape).toEqual([0, 4]);
  });

  it('rejects truncated files, other dtypes and inconsistent offsets with ModelFormatError', () => {
    const bytes = encodeSafetensors(tensors);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'w.safetensors')).toThrow(/w\.safetensors.*(truncated|cover)/);
    expect(() => decodeSafetensors(bytes.subarray(0, 5))).toThrow(ModelFormatError);
    const header = JSON.stringify({ x: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } });
    const other = new Uint8Array(8 + header.length + 4);
    new DataView(other.buffer).setBigUint64(0, BigInt(header.length), true);
    other.set(new TextEncoder().encode(header), 8);
    expect(() => decodeSafetensors(other)).toThrow(/only F32/);
    const gap = JSON.stringify({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } });
    const gapped = new Uint8Array(8 + gap.length + 8);
    new DataView(gapped.buffer).setBigUint64(0, BigInt(gap.length), true);
    gapped.set(new TextEncoder().encode(gap), 8);
    expect(() => decodeSafetensors(gapped)).toThrow(/holes or overlaps/);
  });
});
