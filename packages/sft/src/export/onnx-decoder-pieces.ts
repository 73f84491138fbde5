/**
 * ONNX graph pieces every decoder family shares: weights as initializers, Linear/Conv1D layers, norms,
 * heads, rotary embeddings and cached attention. Shape legend as in decoder-onnx-graph.ts.
 */
import { onnxAttribute } from '../io/onnx';
import type { DecoderModel } from '../models/decoder-model';
import type { OnnxGraphBuilder } from './onnx-graph-builder';

/** Returns the float32 values of a parameter, transposed from [out, in] to [in, out] when `transpose`. */
export function parameterData(context: GraphContext, name: string, transpose: boolean): { dims: number[]; data: Float32Array } {
  const shape = context.model.get(name).shape;
  const values = context.values.get(name)!;
  if (!transpose) return { dims: [...shape], data: values };
  const [rows, columns] = shape as [number, number];
  const data = new Float32Array(values.length);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) data[column * rows + row] = values[row * columns + column]!;
  }
  return { dims: [columns, rows], data };
}

/** Context shared by the layers of one graph. */
export interface GraphContext {
  graph: OnnxGraphBuilder;
  model: DecoderModel;
  /** Every parameter's values, read once before the graph is built. */
  values: Map<string, Float32Array>;
  /**
   * Additive attention bias: 0 where a query may see a key, -1e9 elsewhere. [B, 1, 1, T, L] for the
   * standard attention, [B, 1, T, L] for GroupQueryAttention (when `groupQueryAttention` is set) and
   * with `newKeyValuesOnly`.
   */
  attentionBias: string;
  /** Build with ONNX Runtime's contrib operators (see export/onnx-contrib-pieces.ts). */
  contribOps: boolean;
  /**
   * Set when attention runs as GroupQueryAttention: its `seqlens_k` [B] (L − 1 for every row: the
   * padding is in the bias) and `total_sequence_length` (L), both int32.
   */
  groupQueryAttention?: { seqlensK: string; totalSequenceLength: string };
  /**
   * The graph outputs only each step's new keys/values (present.{i}.* [B, Hkv, T, D]) and attends to
   * past_key_values.{i}.* without concatenating them (see DecoderOnnxOptions.newKeyValuesOnly).
   */
  newKeyValuesOnly?: boolean;
}

/** Adds parameter `name` of the model as an initializer (transposed to [in, out] when `transpose`); returns its name. */
export function addWeight(context: GraphContext, name: string, transpose: boolean): string {
  const { dims, data } = parameterData(context, name, transpose);
  return context.graph.weight(transpose ? `${name}.transposed` : name, dims, data);
}

export function optionalBias(context: GraphContext, layer: string): string | undefined {
  return context.model.has(`${layer}.bias`) ? addWeight(context, `${layer}.bias`, false) : undefined;
}

/** x · W^T + b for a Hugging Face Linear layer (weights stored transposed in the file). */
export function linear(context: GraphContext, layer: string, x: string): string {
  return context.graph.matMulAdd(`/${layer}`, x, addWeight(context, `${layer}.weight`, true), optionalBias(context, layer));
}

/** x · W + b for a GPT-2 Conv1D layer ([in, out] already). */
export function conv1d(context: GraphContext, layer: string, x: string): string {
  return context.graph.matMulAdd(`/${layer}`, x, addWeight(context, `${layer}.weight`, false), addWeight(context, `${layer}.bias`, false));
}

/** RMSNorm over the last axis with the weight `name`.weight. */
export function rmsNorm(context: GraphContext, name: string, x: string, eps: number): string {
  const { graph } = context;
  const scope = `/${name}`;
  // Pow(x, 2), not x·x: onnxruntime fuses Pow → ReduceMean → Add → Sqrt → Div → Mul into one
  // SimplifiedLayerNormalization kernel on CPU (and leaves the x·x form as six nodes).
  const meanSquare = graph.node(scope, 'ReduceMean', [graph.node(scope, 'Pow', [x, graph.float(2)])], {
    axes: onnxAttribute.ints([-1]),
    keepdims: onnxAttribute.int(1),
  });
  const root = graph.node(scope, 'Sqrt', [graph.node(scope, 'Add', [meanSquare, graph.float(eps)])]);
  return graph.node(scope, 'Mul', [graph.node(scope, 'Div', [x, root]), addWeight(context, `${name}.weight`, false)]);
}

/** LayerNorm over the last axis with `name`.weight and `name`.bias. */
export function layerNorm(context: GraphContext, name: string, x: string, eps: number): string {
  const scale = addWeight(context, `${name}.weight`, false);
  const bias = addWeight(context, `${name}.bias`, false);
  return context.graph.node(`/${name}`, 'LayerNormalization', [x, scale, bias], { axis: onnxAttribute.int(-1), epsilon: onnxAttribute.float(eps) });
}

/** [B, T, heads·D] → [B, heads, T, D]. */
export function toHeads(graph: OnnxGraphBuilder, scope: string, x: string, heads: number, D: number): string {
  return graph.transpose(scope, graph.reshape(scope, x, [0, 0, heads, D]), [0, 2, 1, 3]);
}

/** x1·cos − x2·sin ‖ x2·cos + x1·sin on the two halves of the last axis (rotate_half). */
export function applyRope(graph: OnnxGraphBuilder, scope: string, x: string, cos: string, sin: string, D: number): string {
  const [x1, x2] = graph.nodeWithOutputs(scope, 'Split', [x, graph.int64([D / 2, D / 2])], 2, { axis: onnxAttribute.int(3) }) as [string, string];
  const first = graph.node(scope, 'Sub', [graph.node(scope, 'Mul', [x1, cos]), graph.node(scope, 'Mul', [x2, sin])]);
  const second = graph.node(scope, 'Add', [graph.node(scope, 'Mul', [x2, cos]), graph.node(scope, 'Mul', [x1, sin])]);
  return graph.node(scope, 'Concat', [first, second], { axis: onnxAttribute.int(3) });
}

/**
 * Appends the new keys/values to the past ones (graph outputs present.{i}.*) and returns the attention
 * output [B, T, H·D]. Grouped queries are reshaped to [B, Hkv, G, T, D] so each key/value head serves
 * its G query heads by broadcasting (head h reads key/value head ⌊h / G⌋, as repeat_kv does). With
 * `newKeyValuesOnly` the past and the new keys are attended in two products whose scores are joined
 * (the cache itself is never copied) and present.{i}.* are the new keys/values alone.
 */
export function attention(
  context: GraphContext,
  layer: number,
  scope: string,
  q: string,
  k: string,
  v: string,
  heads: { H: number; Hkv: number; D: number },
): string {
  const { graph } = context;
  const { H, Hkv, D } = heads;
  const grouped = graph.reshape(scope, q, [0, Hkv, H / Hkv, -1, D]);
  const transposedKeys = (keys: string) => graph.transpose(scope, graph.unsqueeze(scope, keys, [2]), [0, 1, 2, 4, 3]);
  const scale = (scores: string) => graph.node(scope, 'Mul', [scores, graph.float(1 / Math.sqrt(D))]);
  const softmax = (scores: string, bias: string) => graph.node(scope, 'Softmax', [graph.node(scope, 'Add', [scores, bias])], { axis: onnxAttribute.int(-1) });
  let attended: string;
  if (context.newKeyValuesOnly) {
    graph.namedNode(`present.${layer}.key`, scope, 'Identity', [k]);
    graph.namedNode(`present.${layer}.value`, scope, 'Identity', [v]);
    const pastKeys = `past_key_values.${layer}.key`;
    const pastValues = `past_key_values.${layer}.value`;
    // Four-dimensional products, one GEMM per key/value head: the G query heads of a key/value head and
    // their T tokens are the G·T rows of [B, Hkv, G·T, D] (row g·T + t), and the keys' transposes fuse
    // into the MatMuls (no copy of the cache). Scores against the P cached keys, then the T new ones.
    const rows = graph.reshape(scope, graph.node(scope, 'Mul', [q, graph.float(1 / Math.sqrt(D))]), [0, Hkv, -1, D]);
    const scores = graph.node(
      scope,
      'Concat',
      [
        graph.node(scope, 'MatMul', [rows, graph.transpose(scope, pastKeys, [0, 1, 3, 2])]),
        graph.node(scope, 'MatMul', [rows, graph.transpose(scope, k, [0, 1, 3, 2])]),
      ],
      { axis: onnxAttribute.int(-1) },
    );
    // The bias [B, 1, T, P + T], repeated for the G query heads of each row block.
    const G = H / Hkv;
    const bias = G > 1 ? graph.node(scope, 'Tile', [context.attentionBias, graph.int64([1, 1, G, 1])]) : context.attentionBias;
    const probabilities = softmax(scores, bias);
    const cached = graph.node(scope, 'Gather', [graph.node(scope, 'Shape', [pastKeys]), graph.int64([2])], { axis: onnxAttribute.int(0) });
    const axis = graph.int64([-1]);
    const pastProbabilities = graph.node(scope, 'Slice', [probabilities, graph.int64([0]), cached, axis]);
    const newProbabilities = graph.node(scope, 'Slice', [probabilities, cached, graph.int64([Number.MAX_SAFE_INTEGER]), axis]);
    attended = graph.node(scope, 'Add', [graph.node(scope, 'MatMul', [pastProbabilities, pastValues]), graph.node(scope, 'MatMul', [newProbabilities, v])]);
  } else {
    const keys = graph.namedNode(`present.${layer}.key`, scope, 'Concat', [`past_key_values.${layer}.key`, k], { axis: onnxAttribute.int(2) });
    const values = graph.namedNode(`present.${layer}.value`, scope, 'Concat', [`past_key_values.${layer}.value`, v], { axis: onnxAttribute.int(2) });
    const probabilities = softmax(scale(graph.node(scope, 'MatMul', [grouped, transposedKeys(keys)])), context.attentionBias);
    attended = graph.node(scope, 'MatMul', [probabilities, graph.unsqueeze(scope, values, [2])]);
  }
  const perHead = graph.reshape(scope, attended, [0, H, -1, D]);
  return graph.reshape(scope, graph.transpose(scope, perHead, [0, 2, 1, 3]), [0, 0, H * D]);
}
