import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '@steerlm/core';
import { SafetensorsReader } from './safetensors-reader';
import { writeSafetensors } from './safetensors-writer';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-safetensors-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Builds a file by hand, following the spec: u64 LE header length, JSON header, data section. */
async function craft(name: string, header: unknown, data: Uint8Array, options: { length?: bigint } = {}): Promise<string> {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, options.length ?? BigInt(json.byteLength), true);
  const path = join(folder, name);
  await writeFile(path, Buffer.concat([prefix, json, data]));
  return path;
}

async function expectModelFormatError(path: string, pattern: RegExp, field?: string): Promise<void> {
  const error = await SafetensorsReader.open(path).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(ModelFormatError.isInstance(error)).toBe(true);
  const modelError = error as ModelFormatError;
  expect(modelError.message).toMatch(pattern);
  expect(modelError.file).toBe(path);
  if (field !== undefined) expect(modelError.field).toBe(field);
}

describe('SafetensorsReader on hand-built files', () => {
  it('reads F32, F16, BF16, I64, I32, U8 and BOOL tensors and the metadata', async () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const f16 = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]);
    const bf16 = new Uint8Array([0x80, 0x3f, 0x49, 0x40]);
    const i64 = new Uint8Array(new BigInt64Array([-5n, 1n << 40n]).buffer);
    const i32 = new Uint8Array(new Int32Array([7]).buffer);
    const u8 = new Uint8Array([3, 250]);
    const bool = new Uint8Array([1, 0, 1]);
    const parts = [f32, f16, bf16, i64, i32, u8, bool];
    const starts = parts.map((_, index) => parts.slice(0, index).reduce((sum, part) => sum + part.length, 0));
    const header = {
      __metadata__: { format: 'pt' },
      w: { dtype: 'F32', shape: [2], data_offsets: [starts[0], starts[0]! + 8] },
      h: { dtype: 'F16', shape: [1, 2], data_offsets: [starts[1], starts[1]! + 4] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [starts[2], starts[2]! + 4] },
      ids: { dtype: 'I64', shape: [2], data_offsets: [starts[3], starts[3]! + 16] },
      n: { dtype: 'I32', shape: [], data_offsets: [starts[4], starts[4]! + 4] },
      bytes: { dtype: 'U8', shape: [2], data_offsets: [starts[5], starts[5]! + 2] },
      mask: { dtype: 'BOOL', shape: [3], data_offsets: [starts[6], starts[6]! + 3] },
    };
    const path = await craft('all-dtypes.safetensors', header, Buffer.concat(parts));
    const reader = await SafetensorsReader.open(path);
    try {
      expect(reader.metadata).toEqual({ format: 'pt' });
      expect(reader.tensorNames()).toEqual(['w', 'h', 'b', 'ids', 'n', 'bytes', 'mask']);
      expect([...(await reader.readFloat32('w'))]).toEqual([1.5, -2]);
      expect([...(await reader.readFloat32('h', [1, 2]))]).toEqual([1, -2]);
      expect([...(await reader.readFloat32('b'))]).toEqual([1, 3.140625]);
      expect([...((await reader.readTensor('ids')).data as BigInt64Array)]).toEqual([-5n, 1n << 40n]);
      const scalar = await reader.readTensor('n');
      expect(scalar.shape).toEqual([]);
      expect([...(scalar.data as Int32Array)]).toEqual([7]);
      expect([...(await reader.readTensor('bytes')).data]).toEqual([3, 250]);
      expect([...(await reader.readTensor('mask')).data]).toEqual([1, 0, 1]);
      await expect(reader.readFloat32('ids')).rejects.toThrow(/I64, expected a float dtype/);
      await expect(reader.readFloat32('w', [3])).rejects.toThrow(/misshapen tensor "w"/);
      await expect(reader.readTensor('nope')).rejects.toThrow(/missing tensor "nope"/);
    } finally {
      await reader.close();
    }
  });

  it('accepts a header padded with spaces and an empty file with no tensors', async () => {
    const padded = await craft('padded.safetensors', '{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}   ', new Uint8Array([9]));
    const reader = await SafetensorsReader.open(padded);
    expect([...(await reader.readTensor('x')).data]).toEqual([9]);
    await reader.close();
    const empty = await SafetensorsReader.open(await craft('empty.safetensors', {}, new Uint8Array(0)));
    expect(empty.tensorNames()).toEqual([]);
    await empty.close();
  });
});

describe('SafetensorsReader on bad files', () => {
  const one = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('rejects a file shorter than the length prefix', async () => {
    const path = join(folder, 'tiny.safetensors');
    await writeFile(path, new Uint8Array([1, 2, 3]));
    await expectModelFormatError(path, /truncated safetensors file: 3 bytes/);
  });
  it('rejects a header length above the cap before allocating', async () => {
    await expectModelFormatError(await craft('huge-length.safetensors', one, new Uint8Array(8), { length: 1n << 60n }), /above the 100000000-byte limit/);
  });
  it('rejects a header bigger than the file', async () => {
    await expectModelFormatError(
      await craft('long-header.safetensors', one, new Uint8Array(8), { length: 5000n }),
      /header length 5000 is bigger than the file/,
    );
  });
  it('rejects a header that is not JSON or not an object', async () => {
    await expectModelFormatError(await craft('not-json.safetensors', '{"x": nope}', new Uint8Array(0)), /invalid JSON/);
    await expectModelFormatError(await craft('array.safetensors', '[1]', new Uint8Array(0)), /must start with "\{"/);
    await expectModelFormatError(
      await craft('bad-meta.safetensors', { __metadata__: { a: 1 } }, new Uint8Array(0)),
      /metadata value "a" is number/,
      '__metadata__.a',
    );
  });
  it('rejects unknown dtypes, bad shapes and bad offsets, naming the tensor', async () => {
    await expectModelFormatError(
      await craft('dtype.safetensors', { x: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /dtype "F8" is not supported/,
      'x',
    );
    await expectModelFormatError(
      await craft('shape.safetensors', { x: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /non-negative integers/,
      'x',
    );
    await expectModelFormatError(
      await craft('offsets.safetensors', { x: { dtype: 'U8', shape: [1], data_offsets: [1, 0] } }, new Uint8Array(1)),
      /0 <= begin <= end/,
      'x',
    );
    await expectModelFormatError(
      await craft('extra-key.safetensors', { x: { dtype: 'U8', shape: [1], data_offsets: [0, 1], evil: 1 } }, new Uint8Array(1)),
      /unexpected key "evil"/,
      'x',
    );
  });
  it('rejects a tensor whose shape does not match its byte range', async () => {
    await expectModelFormatError(
      await craft('misshapen.safetensors', { x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /misshapen tensor: F32 shape \[3\] needs 12 bytes but data_offsets \[0, 8\] span 8/,
      'x',
    );
  });
  it('rejects overlapping ranges, gaps and trailing bytes', async () => {
    const overlap = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
    await expectModelFormatError(await craft('overlap.safetensors', overlap, new Uint8Array(8)), /overlapping tensors: "b" \[4, 8\] overlaps "a"/, 'b');
    const gap = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
    await expectModelFormatError(await craft('gap.safetensors', gap, new Uint8Array(12)), /gap in the data section: bytes \[4, 8\)/, 'b');
    await expectModelFormatError(await craft('trailing.safetensors', one, new Uint8Array(12)), /4 trailing bytes belong to no tensor/);
  });
  it('rejects a truncated data section, naming the tensor', async () => {
    const path = await craft(
      'cut.safetensors',
      { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      new Uint8Array(12),
    );
    await truncate(path, (await readFile(path)).byteLength - 3);
    await expectModelFormatError(path, /truncated safetensors file: tensor "b" ends at data byte 12 but the data section holds 9 bytes/, 'b');
  });
  it('reports a missing file as a ModelFormatError', async () => {
    await expectModelFormatError(join(folder, 'absent.safetensors'), /cannot open safetensors file/);
  });
});

describe('writeSafetensors', () => {
  it('round-trips every dtype, rounds F16/BF16 to nearest even, and leaves no temporary file', async () => {
    const values = new Float32Array([1, 0.1, -65520, 1 + 2 ** -11, 2 ** -25, Math.PI]);
    const path = join(folder, 'round-trip.safetensors');
    let lazyCalls = 0;
    const size = await writeSafetensors(
      path,
      [
        { name: 'f32', dtype: 'F32', shape: [2, 3], data: values },
        { name: 'f16', dtype: 'F16', shape: [6], data: values },
        {
          name: 'bf16',
          dtype: 'BF16',
          shape: [6],
          data: () => {
            lazyCalls += 1;
            return values;
          },
        },
        { name: 'ids', dtype: 'I64', shape: [3], data: new BigInt64Array([0n, -1n, 9007199254740993n]) },
        { name: 'i32', dtype: 'I32', shape: [1], data: new Int32Array([-7]) },
        { name: 'u8', dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) },
        { name: 'bool', dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
        { name: '__proto__', dtype: 'F32', shape: [0], data: new Float32Array(0) },
      ],
      { metadata: { format: 'pt', note: 'ünïcode' } },
    );
    expect(lazyCalls).toBe(1);
    const bytes = await readFile(path);
    expect(bytes.byteLength).toBe(size);
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    expect((await readdir(folder)).filter((file) => file.endsWith('.tmp'))).toEqual([]);

    const reader = await SafetensorsReader.open(path);
    try {
      expect(reader.metadata).toEqual({ format: 'pt', note: 'ünïcode' });
      expect(reader.tensorNames()).toEqual(['f32', 'f16', 'bf16', 'ids', 'i32', 'u8', 'bool', '__proto__']);
      expect(reader.info('f32').shape).toEqual([2, 3]);
      expect([...(await reader.readFloat32('f32'))]).toEqual([...values]);
      expect([...(await reader.readFloat32('f16'))]).toEqual([1, 0.0999755859375, -Infinity, 1, 0, 3.140625]);
      expect([...(await reader.readFloat32('bf16'))]).toEqual([1, 0.10009765625, -65536, 1, 2 ** -25, 3.140625]);
      expect([...((await reader.readTensor('ids')).data as BigInt64Array)]).toEqual([0n, -1n, 9007199254740993n]);
      expect([...(await reader.readTensor('i32')).data]).toEqual([-7]);
      expect([...(await reader.readTensor('u8')).data]).toEqual([0, 255]);
      expect([...(await reader.readTensor('bool')).data]).toEqual([1, 0]);
      expect((await reader.readTensor('__proto__')).data.length).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('rejects data that does not fit the shape or dtype, leaving the old file untouched', async () => {
    const path = join(folder, 'kept.safetensors');
    await writeSafetensors(path, [{ name: 'x', dtype: 'F32', shape: [1], data: new Float32Array([5]) }]);
    await expect(writeSafetensors(path, [{ name: 'x', dtype: 'F32', shape: [2], data: new Float32Array([1]) }])).rejects.toThrow(
      /shape \[2\] has 2 elements but the data holds 1/,
    );
    await expect(writeSafetensors(path, [{ name: 'x', dtype: 'I32', shape: [1], data: new Float32Array([1]) }])).rejects.toThrow(
      /I32 is written from a Int32Array/,
    );
    await expect(
      writeSafetensors(path, [
        { name: 'x', dtype: 'U8', shape: [1], data: new Uint8Array(1) },
        { name: 'x', dtype: 'U8', shape: [1], data: new Uint8Array(1) },
      ]),
    ).rejects.toThrow(/duplicate tensor name "x"/);
    const reader = await SafetensorsReader.open(path);
    expect([...(await reader.readFloat32('x'))]).toEqual([5]);
    await reader.close();
    expect((await readdir(folder)).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });
});
