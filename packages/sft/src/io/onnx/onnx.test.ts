import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnxModel, onnxAttribute as attribute, type OnnxModel } from '@steerlm/core';
import { writeOnnxModel } from './write-onnx-model';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-onnx-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function run(model: OnnxModel | string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(encodeOnnxModel(model));
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let index = 0; index < expected.length; index++) expect(Math.abs(actual[index]! - expected[index]!)).toBeLessThanOrEqual(tolerance);
}

describe('ONNX models run by onnxruntime-node', () => {
  it('MatMul + Add with a symbolic batch', async () => {
    const weight = new Float32Array([1, 2, 3, 4, 5, 6]);
    const bias = new Float32Array([0.5, -1]);
    const model: OnnxModel = {
      graph: {
        name: 'linear',
        inputs: [{ name: 'x', elemType: 'float32', shape: ['batch', 3] }],
        outputs: [{ name: 'y', elemType: 'float32', shape: ['batch', 2] }],
        initializers: [
          { name: 'w', dataType: 'float32', dims: [3, 2], data: weight },
          { name: 'b', dataType: 'float32', dims: [2], data: bias },
        ],
        nodes: [
          { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'], name: 'matmul' },
          { opType: 'Add', inputs: ['xw', 'b'], outputs: ['y'], name: 'add' },
        ],
      },
    };
    for (const batch of [1, 4]) {
      const x = Float32Array.from({ length: batch * 3 }, (_, index) => index * 0.25 - 1);
      const expected = new Float32Array(batch * 2);
      for (let row = 0; row < batch; row++)
        for (let column = 0; column < 2; column++) {
          let sum = bias[column]!;
          for (let k = 0; k < 3; k++) sum += x[row * 3 + k]! * weight[k * 2 + column]!;
          expected[row * 2 + column] = sum;
        }
      const { y } = await run(model, { x: new ort.Tensor('float32', x, [batch, 3]) });
      expect(y!.dims).toEqual([batch, 2]);
      closeTo(y!.data as Float32Array, expected);
    }
  });

  it('Gather from an embedding table with int64 ids of symbolic batch and sequence', async () => {
    const table = Float32Array.from({ length: 5 * 4 }, (_, index) => index / 10);
    const model: OnnxModel = {
      graph: {
        name: 'embedding',
        inputs: [{ name: 'input_ids', elemType: 'int64', shape: ['batch', 'sequence'] }],
        outputs: [{ name: 'embeddings', elemType: 'float32', shape: ['batch', 'sequence', 4] }],
        initializers: [{ name: 'table', dataType: 'float32', dims: [5, 4], data: table }],
        nodes: [{ opType: 'Gather', inputs: ['table', 'input_ids'], outputs: ['embeddings'], attributes: { axis: attribute.int(0) } }],
      },
    };
    const ids = [4, 0, 2, 2, 1, 3];
    const { embeddings } = await run(model, { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [2, 3]) });
    expect(embeddings!.dims).toEqual([2, 3, 4]);
    closeTo(
      embeddings!.data as Float32Array,
      ids.flatMap((id) => [...table.subarray(id * 4, id * 4 + 4)]),
    );
  });

  it('Softmax over the last axis', async () => {
    const model: OnnxModel = {
      graph: {
        name: 'softmax',
        inputs: [{ name: 'logits', elemType: 'float32', shape: ['batch', 'sequence', 3] }],
        outputs: [{ name: 'probabilities', elemType: 'float32', shape: ['batch', 'sequence', 3] }],
        nodes: [{ opType: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], attributes: { axis: attribute.int(-1) } }],
      },
    };
    const logits = new Float32Array([1, 2, 3, -1, 0, 1000]);
    const { probabilities } = await run(model, { logits: new ort.Tensor('float32', logits, [1, 2, 3]) });
    const first = [Math.exp(-2), Math.exp(-1), 1];
    const total = first.reduce((sum, value) => sum + value, 0);
    closeTo(probabilities!.data as Float32Array, [...first.map((value) => value / total), 0, 0, 1], 1e-6);
  });

  it('a tiny block with symbolic dims: f16/bf16 initializers, Cast, Einsum (string attribute), Transpose (ints), Constant (tensor attribute)', async () => {
    const weights = [0.1, -0.2, 0.3, 0.4, 1, 2, -3, 0.5];
    const model: OnnxModel = {
      opsetImports: [{ domain: '', version: 17 }],
      metadata: { source: 'steerlm-ts test' },
      graph: {
        name: 'tiny',
        inputs: [{ name: 'hidden', elemType: 'float32', shape: ['batch', 'sequence', 2] }],
        outputs: [
          { name: 'out', elemType: 'float32', shape: ['batch', 4, 'sequence'] },
          { name: 'bf', elemType: 'float32', shape: [2, 4] },
        ],
        initializers: [
          { name: 'w16', dataType: 'float16', dims: [2, 4], data: Float32Array.from(weights) },
          { name: 'wbf', dataType: 'bfloat16', dims: [2, 4], data: Float32Array.from(weights) },
        ],
        nodes: [
          { opType: 'Cast', inputs: ['w16'], outputs: ['w'], attributes: { to: attribute.int(1) } },
          { opType: 'Cast', inputs: ['wbf'], outputs: ['bf'], attributes: { to: attribute.int(1) } },
          { opType: 'Einsum', inputs: ['hidden', 'w'], outputs: ['projected'], attributes: { equation: attribute.string('bsc,cd->bsd') } },
          {
            opType: 'Constant',
            inputs: [],
            outputs: ['scale'],
            attributes: { value: attribute.tensor({ name: 'scale_value', dataType: 'float32', dims: [1], data: new Float32Array([2]) }) },
          },
          { opType: 'Mul', inputs: ['projected', 'scale'], outputs: ['scaled'] },
          { opType: 'Transpose', inputs: ['scaled'], outputs: ['out'], attributes: { perm: attribute.ints([0, 2, 1]) } },
        ],
      },
    };
    const path = join(folder, 'tiny.onnx');
    await writeOnnxModel(path, model);
    const rounded16 = [0.0999755859375, -0.199951171875, 0.300048828125, 0.39990234375, 1, 2, -3, 0.5];
    const roundedBf = [0.10009765625, -0.2001953125, 0.30078125, 0.400390625, 1, 2, -3, 0.5];
    for (const [batch, sequence] of [
      [1, 3],
      [2, 5],
    ] as const) {
      const hidden = Float32Array.from({ length: batch * sequence * 2 }, (_, index) => Math.sin(index));
      const { out, bf } = await run(path, { hidden: new ort.Tensor('float32', hidden, [batch, sequence, 2]) });
      expect(out!.dims).toEqual([batch, 4, sequence]);
      const expected = new Float32Array(batch * 4 * sequence);
      for (let b = 0; b < batch; b++)
        for (let s = 0; s < sequence; s++)
          for (let d = 0; d < 4; d++) {
            const value = hidden[(b * sequence + s) * 2]! * rounded16[d]! + hidden[(b * sequence + s) * 2 + 1]! * rounded16[4 + d]!;
            expected[(b * 4 + d) * sequence + s] = 2 * value;
          }
      closeTo(out!.data as Float32Array, expected, 1e-5);
      expect([...(bf!.data as Float32Array)]).toEqual(roundedBf);
    }
  });

  it('keeps large initializers in an external data file that onnxruntime loads', async () => {
    const size = 64;
    const weight = Float32Array.from({ length: size * size }, (_, index) => ((index * 7919) % 13) / 13 - 0.5);
    const model: OnnxModel = {
      graph: {
        name: 'external',
        inputs: [{ name: 'x', elemType: 'float32', shape: ['batch', size] }],
        outputs: [{ name: 'y', elemType: 'float32', shape: ['batch', size] }],
        initializers: [
          { name: 'w', dataType: 'float32', dims: [size, size], data: weight },
          { name: 'small', dataType: 'float32', dims: [1], data: new Float32Array([1]) },
        ],
        nodes: [
          { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
          { opType: 'Add', inputs: ['xw', 'small'], outputs: ['y'] },
        ],
      },
    };
    const path = join(folder, 'external.onnx');
    const result = await writeOnnxModel(path, model, { externalData: { fileName: 'external.onnx.data' } });
    expect(result.externalBytes).toBe(size * size * 4);
    expect((await stat(path)).size).toBeLessThan(1024);
    expect((await stat(join(folder, 'external.onnx.data'))).size).toBe(size * size * 4);
    const x = Float32Array.from({ length: size }, (_, index) => index / size);
    const expected = Float32Array.from({ length: size }, (_, column) => {
      let sum = 1;
      for (let k = 0; k < size; k++) sum += x[k]! * weight[k * size + column]!;
      return sum;
    });
    const { y } = await run(path, { x: new ort.Tensor('float32', x, [1, size]) });
    closeTo(y!.data as Float32Array, expected, 1e-4);
    expect((await readdir(folder)).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });
});
