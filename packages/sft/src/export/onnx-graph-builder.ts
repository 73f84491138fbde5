import { onnxAttribute, type OnnxAttribute, type OnnxNode, type OnnxTensor } from '../io/onnx';

/** ONNX TensorProto.DataType numbers used by Cast. */
export const ONNX_CAST_TO = { float32: 1, int32: 6, int64: 7, bool: 9 } as const;

/** The operator domain of ONNX Runtime's contrib operators (GroupQueryAttention, SkipLayerNormalization, …). */
export const CONTRIB_DOMAIN = 'com.microsoft';

/**
 * Collects the nodes and initializers of one ONNX graph in topological order, naming every value
 * after the scope it was made in (`/model/layers.0/self_attn/MatMul_3`), and sharing small int64 and
 * float constants.
 */
export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly usedNames = new Set<string>();
  private readonly sharedConstants = new Map<string, string>();

  /** Returns `base`, or `base_2`, `base_3`, … when the name is taken. */
  uniqueName(base: string): string {
    let name = base;
    for (let index = 2; this.usedNames.has(name); index++) name = `${base}_${index}`;
    this.usedNames.add(name);
    return name;
  }

  /** Adds one node with a single output named after `scope`; returns the output's name. */
  node(scope: string, opType: string, inputs: string[], attributes?: Record<string, OnnxAttribute>): string {
    return this.nodeWithOutputs(scope, opType, inputs, 1, attributes)[0]!;
  }

  /** Adds one node with `outputCount` outputs; returns their names. */
  nodeWithOutputs(scope: string, opType: string, inputs: string[], outputCount: number, attributes?: Record<string, OnnxAttribute>): string[] {
    const name = this.uniqueName(`${scope}/${opType}`);
    const outputs = Array.from({ length: outputCount }, (_, index) => `${name}_output_${index}`);
    this.nodes.push({ opType, inputs, outputs, name, ...(attributes ? { attributes } : {}) });
    return outputs;
  }

  /**
   * Adds one ONNX Runtime contrib operator (domain `com.microsoft`) with one output per entry of
   * `outputs`: a name for a graph-level value (such as `present.0.key`), null for a generated name, or ''
   * for an optional output left out. Returns the output names.
   */
  contribNode(scope: string, opType: string, inputs: string[], outputs: readonly (string | null)[], attributes?: Record<string, OnnxAttribute>): string[] {
    const name = this.uniqueName(`${scope}/${opType}`);
    const names = outputs.map((output, index) => {
      if (output === null) return `${name}_output_${index}`;
      if (output !== '') this.usedNames.add(output);
      return output;
    });
    this.nodes.push({ opType, domain: CONTRIB_DOMAIN, inputs, outputs: names, name, ...(attributes ? { attributes } : {}) });
    return names;
  }

  /** Adds a node whose single output has the given graph-level name (a graph output such as `logits`). */
  namedNode(outputName: string, scope: string, opType: string, inputs: string[], attributes?: Record<string, OnnxAttribute>): string {
    this.usedNames.add(outputName);
    this.nodes.push({ opType, inputs, outputs: [outputName], name: this.uniqueName(`${scope}/${opType}`), ...(attributes ? { attributes } : {}) });
    return outputName;
  }

  /** Adds a float32 initializer (a weight) under `name`; returns the name. */
  weight(name: string, dims: number[], data: Float32Array): string {
    this.usedNames.add(name);
    this.initializers.push({ name, dataType: 'float32', dims, data });
    return name;
  }

  /** Returns the name of a shared int64 constant holding `values` (a scalar when `scalar`). */
  int64(values: readonly number[], scalar = false): string {
    const key = `i64:${scalar ? 's' : 'v'}:${values.join(',')}`;
    const known = this.sharedConstants.get(key);
    if (known !== undefined) return known;
    const name = this.uniqueName(`/constants/int64_${scalar ? 'scalar_' : ''}${values.join('_').replaceAll('-', 'm')}`);
    this.initializers.push({ name, dataType: 'int64', dims: scalar ? [] : [values.length], data: BigInt64Array.from(values.map(BigInt)) });
    this.sharedConstants.set(key, name);
    return name;
  }

  /** Returns the name of a shared float32 scalar constant. */
  float(value: number): string {
    const key = `f32:${Math.fround(value)}`;
    const known = this.sharedConstants.get(key);
    if (known !== undefined) return known;
    const name = this.uniqueName(`/constants/float_${this.sharedConstants.size}`);
    this.initializers.push({ name, dataType: 'float32', dims: [], data: new Float32Array([value]) });
    this.sharedConstants.set(key, name);
    return name;
  }

  /** Returns x · W (+ b) for x [..., in] and W [in, out] (both already initializers or values). */
  matMulAdd(scope: string, x: string, weight: string, bias?: string): string {
    const product = this.node(scope, 'MatMul', [x, weight]);
    return bias === undefined ? product : this.node(scope, 'Add', [product, bias]);
  }

  /** Returns `x` reshaped to `shape` (0 copies the input's dimension, -1 is inferred). */
  reshape(scope: string, x: string, shape: readonly number[]): string {
    return this.node(scope, 'Reshape', [x, this.int64(shape)]);
  }

  /** Returns `x` with its axes permuted. */
  transpose(scope: string, x: string, perm: readonly number[]): string {
    return this.node(scope, 'Transpose', [x], { perm: onnxAttribute.ints([...perm]) });
  }

  /** Returns `x` with size-1 axes inserted at `axes`. */
  unsqueeze(scope: string, x: string, axes: readonly number[]): string {
    return this.node(scope, 'Unsqueeze', [x, this.int64(axes)]);
  }

  /** Returns `x` cast to `to`. */
  cast(scope: string, x: string, to: keyof typeof ONNX_CAST_TO): string {
    return this.node(scope, 'Cast', [x], { to: onnxAttribute.int(ONNX_CAST_TO[to]) });
  }
}
