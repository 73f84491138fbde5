import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors';
import { encodeOnnxModel } from './encode-onnx-model';
import type { OnnxModel } from './onnx-model';
import { encodeVarint, ProtobufWriter } from './protobuf-writer';

// Models that onnxruntime runs are tested where onnxruntime-node is a dependency (@steerlm/sft's io/onnx tests,
// @steerlm/attribute-regressor's USE-lite graph).

describe('protobuf wire encoding', () => {
  it('encodes varints, negative int64 and nested messages per the spec', () => {
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect([...encodeVarint(2n ** 63n - 1n)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    const writer = new ProtobufWriter()
      .varint(1, 150)
      .string(2, 'testing')
      .message(3, (inner) => inner.varint(1, 150));
    expect([...writer.finish()]).toEqual([0x08, 0x96, 0x01, 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67, 0x1a, 0x03, 0x08, 0x96, 0x01]);
    expect([...new ProtobufWriter().packedVarints(4, [3, 270, 86942]).finish()]).toEqual([0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
  });
});

describe('ONNX model encoding', () => {
  it('rejects graphs that read undeclared values and tensors whose data does not fit', () => {
    const base: OnnxModel = {
      graph: { name: 'bad', inputs: [{ name: 'x', elemType: 'float32', shape: [1] }], outputs: [{ name: 'y', elemType: 'float32', shape: [1] }], nodes: [] },
    };
    const dangling = { ...base, graph: { ...base.graph, nodes: [{ opType: 'Add', inputs: ['x', 'missing'], outputs: ['y'] }] } };
    expect(() => encodeOnnxModel(dangling)).toThrow(/reads "missing", which no graph input, initializer or earlier node provides/);
    expect(() => encodeOnnxModel(base)).toThrow(/graph output "y" is produced by no node/);
    const misfit = {
      ...base,
      graph: {
        ...base.graph,
        nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
        initializers: [{ name: 'w', dataType: 'float32' as const, dims: [2, 2], data: new Float32Array(3) }],
      },
    };
    expect(() => encodeOnnxModel(misfit)).toThrow(InvalidOptionError);
    expect(() => encodeOnnxModel(misfit)).toThrow(/dims \[2, 2\] hold 4 elements but the data has 3/);
  });
});
