/**
 * Graph pieces built from ONNX Runtime's contrib operators (domain `com.microsoft`), used by the
 * `contribOps` export: GroupQueryAttention (cached attention), RotaryEmbedding,
 * SkipSimplifiedLayerNormalization / SkipLayerNormalization (the residual add fused into the next norm),
 * FastGelu / BiasGelu, and q/k/v and gate/up projections fused into one MatMul each. Only onnxruntime
 * runs these graphs (onnxruntime-node, onnxruntime-web, transformers.js). Shape legend as in
 * decoder-onnx-graph.ts.
 */
import { onnxAttribute } from '../io/onnx';
import { addWeight, optionalBias, parameterData, type GraphContext } from './onnx-decoder-pieces';

/**
 * Heads run as GroupQueryAttention when their width is a multiple of this (onnxruntime needs a multiple
 * of 8, and RotaryEmbedding's cos/sin caches a multiple of 16 here); narrower heads keep the standard
 * attention.
 */
export const GROUP_QUERY_ATTENTION_HEAD_MULTIPLE = 16;

/** Returns whether heads of width `headDim` can run as GroupQueryAttention. */
export function fitsGroupQueryAttention(headDim: number): boolean {
  return headDim % GROUP_QUERY_ATTENTION_HEAD_MULTIPLE === 0;
}

/**
 * x · [W₁ | W₂ | …] (+ [b₁ | b₂ | …]) for Hugging Face Linear layers that read the same input, as one
 * MatMul split back into one output per layer. A layer without a bias gets zeros where others have one.
 */
export function fusedLinear(context: GraphContext, layers: readonly string[], x: string): string[] {
  const { graph } = context;
  const weights = layers.map((layer) => parameterData(context, `${layer}.weight`, true));
  const rows = weights[0]!.dims[0]!;
  const widths = weights.map((weight) => weight.dims[1]!);
  const total = widths.reduce((sum, width) => sum + width, 0);
  const fused = new Float32Array(rows * total);
  let offset = 0;
  weights.forEach(({ data }, index) => {
    const width = widths[index]!;
    for (let row = 0; row < rows; row++) fused.set(data.subarray(row * width, (row + 1) * width), row * total + offset);
    offset += width;
  });
  const scope = `/${layers[0]!.replace(/\.[^.]+$/, '')}/fused_${layers.map((layer) => layer.split('.').at(-1)).join('_')}`;
  const weight = graph.weight(`${scope.slice(1)}.weight`, [rows, total], fused);
  let bias: string | undefined;
  if (layers.some((layer) => context.model.has(`${layer}.bias`))) {
    const biases = new Float32Array(total);
    offset = 0;
    layers.forEach((layer, index) => {
      if (context.model.has(`${layer}.bias`)) biases.set(context.values.get(`${layer}.bias`)!, offset);
      offset += widths[index]!;
    });
    bias = graph.weight(`${scope.slice(1)}.bias`, [total], biases);
  }
  const product = graph.matMulAdd(scope, x, weight, bias);
  return graph.nodeWithOutputs(scope, 'Split', [product, graph.int64(widths)], layers.length, { axis: onnxAttribute.int(-1) });
}

/** The residual stream between norms: `delta` (with `deltaBias`) is still to be added to `residual`. */
export interface ResidualStream {
  residual: string;
  delta?: string;
  deltaBias?: string;
}

/**
 * Normalizes residual + delta (+ deltaBias) with the norm `name` (RMSNorm when `kind` is 'rms',
 * LayerNorm with `name`.bias otherwise) as one Skip(Simplified)LayerNormalization, or a plain
 * (Simplified)LayerNormalization for the first norm. Returns the normalized values and the new stream.
 */
export function residualNorm(
  context: GraphContext,
  kind: 'rms' | 'layer',
  name: string,
  stream: ResidualStream,
  eps: number,
): { normed: string; stream: ResidualStream } {
  const { graph } = context;
  const scope = `/${name}`;
  const gamma = addWeight(context, `${name}.weight`, false);
  const beta = kind === 'layer' ? optionalBias(context, name) : undefined;
  if (stream.delta === undefined) {
    const inputs = beta === undefined ? [stream.residual, gamma] : [stream.residual, gamma, beta];
    const opType = kind === 'rms' ? 'SimplifiedLayerNormalization' : 'LayerNormalization';
    const normed = graph.node(scope, opType, inputs, { axis: onnxAttribute.int(-1), epsilon: onnxAttribute.float(eps) });
    return { normed, stream: { residual: stream.residual } };
  }
  const inputs = [
    stream.delta,
    stream.residual,
    gamma,
    ...(kind === 'layer' ? [beta ?? ''] : []),
    ...(stream.deltaBias !== undefined ? [stream.deltaBias] : []),
  ];
  const opType = kind === 'rms' ? 'SkipSimplifiedLayerNormalization' : 'SkipLayerNormalization';
  const [normed, , , sum] = graph.contribNode(scope, opType, inputs, [null, '', '', null], { epsilon: onnxAttribute.float(eps) }) as [string, '', '', string];
  return { normed, stream: { residual: sum } };
}

/**
 * Applies the rotary embedding (rotate_half, not interleaved) to x [B, T, heads·D] at `position_ids`
 * with the RotaryEmbedding contrib operator, from cos/sin caches [positions, D/2].
 */
export function rotaryEmbedding(context: GraphContext, scope: string, x: string, heads: number, caches: { cos: string; sin: string }): string {
  return context.graph.contribNode(scope, 'RotaryEmbedding', [x, 'position_ids', caches.cos, caches.sin], [null], {
    interleaved: onnxAttribute.int(0),
    num_heads: onnxAttribute.int(heads),
  })[0]!;
}

/**
 * GroupQueryAttention over q [B, T, H·D], k and v [B, T, Hkv·D] and the layer's cache: appends the new
 * keys/values to past_key_values.{i}.* (graph outputs present.{i}.*) and returns the attention output
 * [B, T, H·D]. q and k come with their rotary embedding applied, if any. The padding and causal mask
 * come from the context's attention bias (every row's `seqlens_k` is L − 1), so padding anywhere (our
 * decoder's right padding, transformers.js's left padding) is masked as in the standard graph.
 */
export function groupQueryAttention(
  context: GraphContext,
  layer: number,
  scope: string,
  qkv: readonly [string, string, string],
  heads: { H: number; Hkv: number },
): string {
  const { graph, groupQueryAttention: lengths } = context;
  if (!lengths) throw new Error('groupQueryAttention needs the context built for it (decoderOnnxModel with contribOps)');
  const inputs = [
    ...qkv,
    `past_key_values.${layer}.key`,
    `past_key_values.${layer}.value`,
    lengths.seqlensK,
    lengths.totalSequenceLength,
    '',
    '',
    '',
    context.attentionBias,
  ];
  const [output] = graph.contribNode(scope, 'GroupQueryAttention', inputs, [null, `present.${layer}.key`, `present.${layer}.value`], {
    num_heads: onnxAttribute.int(heads.H),
    kv_num_heads: onnxAttribute.int(heads.Hkv),
  });
  return output!;
}
