/** ONNX element types and their TensorProto.DataType numbers. */
export const ONNX_DATA_TYPES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  double: 11,
  bfloat16: 16,
} as const;

/** One ONNX element type name. */
export type OnnxDataType = keyof typeof ONNX_DATA_TYPES;

/** A dimension: a fixed size, or a symbolic name (`'batch'`, `'sequence'`) fixed when the model runs. */
export type OnnxDimension = number | string;

/** A graph input, output or intermediate value: name, element type and shape (undefined: unknown rank). */
export interface OnnxValueInfo {
  name: string;
  elemType: OnnxDataType;
  shape?: OnnxDimension[];
  docString?: string;
}

/**
 * A constant tensor (an initializer or an attribute value). `data` is a Float32Array for float32, float16
 * and bfloat16 (the 16-bit types are rounded to nearest even), Float64Array for double, BigInt64Array for
 * int64, Int32Array for int32, Int8Array for int8 and Uint8Array for uint8 and bool.
 */
export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;
  docString?: string;
}

/** A typed attribute value (ONNX distinguishes int from float, which JavaScript numbers cannot). */
export type OnnxAttribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number | bigint }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: OnnxTensor }
  | { type: 'graph'; value: OnnxGraph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: (number | bigint)[] }
  | { type: 'strings'; value: string[] };

/** Returns typed attribute values: `onnxAttribute.int(1)`, `onnxAttribute.floats([0.5])`, … */
export const onnxAttribute = {
  /** Returns a FLOAT attribute. */
  float: (value: number): OnnxAttribute => ({ type: 'float', value }),
  /** Returns an INT attribute. */
  int: (value: number | bigint): OnnxAttribute => ({ type: 'int', value }),
  /** Returns a STRING attribute. */
  string: (value: string): OnnxAttribute => ({ type: 'string', value }),
  /** Returns a TENSOR attribute. */
  tensor: (value: OnnxTensor): OnnxAttribute => ({ type: 'tensor', value }),
  /** Returns a GRAPH attribute (If/Loop bodies). */
  graph: (value: OnnxGraph): OnnxAttribute => ({ type: 'graph', value }),
  /** Returns a FLOATS attribute. */
  floats: (value: number[]): OnnxAttribute => ({ type: 'floats', value }),
  /** Returns an INTS attribute. */
  ints: (value: (number | bigint)[]): OnnxAttribute => ({ type: 'ints', value }),
  /** Returns a STRINGS attribute. */
  strings: (value: string[]): OnnxAttribute => ({ type: 'strings', value }),
};

/** One operator application. Empty strings in `inputs` mark omitted optional inputs. */
export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Operator domain; '' (default) is the standard ai.onnx domain, 'com.microsoft' the ONNX Runtime contrib ops. */
  domain?: string;
  attributes?: Record<string, OnnxAttribute>;
  docString?: string;
}

/** A computation graph: nodes in topological order, typed inputs/outputs and constant initializers. */
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers?: OnnxTensor[];
  valueInfo?: OnnxValueInfo[];
  docString?: string;
}

/** An operator set the model uses: domain ('' for ai.onnx) and version. */
export interface OnnxOpsetImport {
  domain: string;
  version: number;
}

/** A whole ONNX model. */
export interface OnnxModel {
  graph: OnnxGraph;
  /** Default `[{ domain: '', version: 17 }]`. */
  opsetImports?: OnnxOpsetImport[];
  /** Default 8 (ONNX 1.10+; read by every ONNX Runtime since 1.10). */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  /** Free string key/values (metadata_props). */
  metadata?: Record<string, string>;
}
