/**
 * The ONNX graph of a decoder with a key/value cache, in the layout Hugging Face Optimum exports and
 * transformers.js runs. Shape legend: B batch, T new tokens, P cached tokens, L = P + T keys,
 * C channels, H query heads, Hkv key/value heads, G = H / Hkv, D head width, V vocabulary.
 *
 * Inputs: input_ids [B, T] int64, attention_mask [B, L] int64, position_ids [B, T] int64,
 * past_key_values.{i}.key/value [B, Hkv, P, D]. Outputs: logits [B, T, V],
 * present.{i}.key/value [B, Hkv, L, D] (keys after RoPE for Llama).
 */
import { InvalidOptionError } from '@steerlm/core';
import { familyImplementation, modelFamily } from '../families/registry';
import type { ModelConfig } from '../io/hf-config';
import { onnxAttribute, type OnnxModel, type OnnxValueInfo } from '../io/onnx';
import { readFloat32 } from '../backend/read-tensor';
import type { DecoderModel } from '../models';
import { LOGITS_INDEX_INPUT } from '../models/onnxruntime-decode-session';
import { CONTRIB_DOMAIN, OnnxGraphBuilder } from './onnx-graph-builder';
import { fitsGroupQueryAttention } from './onnx-contrib-pieces';
import { addWeight, type GraphContext } from './onnx-decoder-pieces';

/** The ONNX opset the exported decoders use (LayerNormalization needs 17). */
export const DECODER_ONNX_OPSET = 17;

/** The symbolic dimension names of the exported graph (transformers.js fills `batch_size` for an empty cache, the rest with 0). */
export const DECODER_ONNX_DIMENSIONS = {
  batch: 'batch_size',
  sequence: 'sequence_length',
  past: 'past_sequence_length',
  total: 'total_sequence_length',
} as const;

const MASKED_SCORE = -1e9;

/** Resolves to every parameter's float32 values, read back asynchronously (GPU errors checked). */
async function readParameterValues(model: DecoderModel): Promise<Map<string, Float32Array>> {
  const values = new Map<string, Float32Array>();
  for (const [name, variable] of model.parameters) values.set(name, await readFloat32(variable, `the export of ${name}`));
  return values;
}

/**
 * Builds the additive causal + padding bias from the input shapes and attention_mask: [B, 1, 1, T, L]
 * for the standard attention, [B, 1, T, L] (`rank` 4) for GroupQueryAttention and the
 * newKeyValuesOnly attention.
 */
function buildAttentionBias(graph: OnnxGraphBuilder, rank: 4 | 5 = 5): string {
  const scope = '/model/attention_bias';
  const newTokens = graph.node(scope, 'Gather', [graph.node(scope, 'Shape', ['input_ids']), graph.int64([1], true)], { axis: onnxAttribute.int(0) });
  const allKeys = graph.node(scope, 'Gather', [graph.node(scope, 'Shape', ['attention_mask']), graph.int64([1], true)], { axis: onnxAttribute.int(0) });
  const pastKeys = graph.node(scope, 'Sub', [allKeys, newTokens]);
  const one = graph.int64([1], true);
  const keyIndex = graph.node(scope, 'Range', [graph.int64([0], true), allKeys, one]);
  const queryIndex = graph.unsqueeze(scope, graph.node(scope, 'Range', [pastKeys, allKeys, one]), [1]);
  const causal = graph.node(scope, 'LessOrEqual', [keyIndex, queryIndex]);
  const padding = graph.unsqueeze(scope, graph.cast(scope, 'attention_mask', 'bool'), rank === 5 ? [1, 2, 3] : [1, 2]);
  const allowed = graph.node(scope, 'And', [causal, padding]);
  return graph.node(scope, 'Where', [allowed, graph.float(0), graph.float(MASKED_SCORE)]);
}

/**
 * Builds GroupQueryAttention's `seqlens_k` (L − 1 for every row, int32 [B]: rows keep the standard
 * layout, new keys at index P, and the padding is masked by the attention bias) and
 * `total_sequence_length` (L, int32 scalar).
 */
function buildGroupQueryAttentionLengths(graph: OnnxGraphBuilder): { seqlensK: string; totalSequenceLength: string } {
  const scope = '/model/attention_lengths';
  const allKeys = graph.node(scope, 'Gather', [graph.node(scope, 'Shape', ['attention_mask']), graph.int64([1], true)], { axis: onnxAttribute.int(0) });
  const batch = graph.node(scope, 'Gather', [graph.node(scope, 'Shape', ['input_ids']), graph.int64([0])], { axis: onnxAttribute.int(0) });
  const lastKey = graph.node(scope, 'Sub', [allKeys, graph.int64([1], true)]);
  const seqlensK = graph.cast(scope, graph.node(scope, 'Expand', [lastKey, batch]), 'int32');
  return { seqlensK, totalSequenceLength: graph.cast(scope, allKeys, 'int32') };
}

/** Returns the key/value heads and head width of the cache of `config`. */
export function cacheGeometry(config: ModelConfig): { layers: number; kvHeads: number; headDim: number } {
  return modelFamily(config).cacheGeometry(config);
}

/** Options of {@link decoderOnnxModel}. */
export interface DecoderOnnxOptions {
  /** The `producer_version` recorded in the model. */
  producerVersion?: string;
  /**
   * Compute the logits of one position per row only: the graph takes one more input, `logits_index`
   * [B, 1] int64 (the position within the T new tokens whose logits each row needs), and its `logits`
   * output is [B, V]. Our onnxruntime decoder uses it so a long prompt's prefill does not compute
   * [B, T, V]; exports for transformers.js keep the default (every position, [B, T, V]).
   */
  lastTokenLogits?: boolean;
  /**
   * Build with ONNX Runtime's contrib operators (domain `com.microsoft`): GroupQueryAttention and
   * RotaryEmbedding where the head width is a multiple of 16 (narrower heads keep the standard attention),
   * SkipSimplifiedLayerNormalization / SkipLayerNormalization, FastGelu / BiasGelu, and fused q/k/v and
   * gate/up projections. The inputs and outputs stay the same, so transformers.js loads it too, but
   * only onnxruntime runs it. Default false.
   */
  contribOps?: boolean;
  /**
   * Output only each call's new keys/values: present.{i}.key/value are [B, Hkv, T, D] (keys after RoPE
   * for Llama), and the attention reads past_key_values.{i}.* without concatenating them, so no call
   * copies the cache. The caller keeps the cache and writes the new keys/values into it; the
   * past_key_values inputs may then be a buffer of larger capacity P whose unused slots the
   * attention_mask's first P columns mask. Attention runs on standard operators (never
   * GroupQueryAttention, which must output the whole cache). Our onnxruntime decoder uses it; exports
   * for transformers.js keep the default (false), the Optimum layout.
   */
  newKeyValuesOnly?: boolean;
}

/** Returns whether the `contribOps` export of `config` runs its attention as GroupQueryAttention. */
export function usesGroupQueryAttention(config: ModelConfig): boolean {
  return fitsGroupQueryAttention(cacheGeometry(config).headDim);
}

export { LOGITS_INDEX_INPUT };

/**
 * Resolves to the ONNX model of `model`'s forward pass with a key/value cache (float32, opset 17).
 * Throws an InvalidOptionError when the model still has unmerged LoRA adapters.
 */
export async function decoderOnnxModel(model: DecoderModel, options: DecoderOnnxOptions = {}): Promise<OnnxModel> {
  if (model.adapters.size > 0) {
    throw new InvalidOptionError(`the model has ${model.adapters.size} unmerged LoRA adapter(s); the export would leave them out`, {
      option: 'model',
      hint: 'call model.mergeLora() before exporting, or model.saveLora(folder) to keep the adapters apart',
    });
  }
  const config = model.config;
  const graph = new OnnxGraphBuilder();
  const { batch, sequence, past, total } = DECODER_ONNX_DIMENSIONS;
  const { layers, kvHeads, headDim } = cacheGeometry(config);
  const inputs: OnnxValueInfo[] = [
    { name: 'input_ids', elemType: 'int64', shape: [batch, sequence] },
    { name: 'attention_mask', elemType: 'int64', shape: [batch, total] },
    { name: 'position_ids', elemType: 'int64', shape: [batch, sequence] },
    ...(options.lastTokenLogits ? [{ name: LOGITS_INDEX_INPUT, elemType: 'int64' as const, shape: [batch, 1] }] : []),
  ];
  const presents: OnnxValueInfo[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (const part of ['key', 'value']) {
      inputs.push({ name: `past_key_values.${layer}.${part}`, elemType: 'float32', shape: [batch, kvHeads, past, headDim] });
      presents.push({ name: `present.${layer}.${part}`, elemType: 'float32', shape: [batch, kvHeads, options.newKeyValuesOnly ? sequence : total, headDim] });
    }
  }
  const contribOps = options.contribOps ?? false;
  const newKeyValuesOnly = options.newKeyValuesOnly ?? false;
  const gqa = contribOps && usesGroupQueryAttention(config) && !newKeyValuesOnly;
  const context: GraphContext = {
    graph,
    model,
    values: await readParameterValues(model),
    attentionBias: buildAttentionBias(graph, gqa || newKeyValuesOnly ? 4 : 5),
    contribOps,
    newKeyValuesOnly,
    ...(gqa ? { groupQueryAttention: buildGroupQueryAttentionLengths(graph) } : {}),
  };
  const family = familyImplementation(config);
  const body = family.onnxBody(context, config);
  // [B, T, C] → [B, C] at each row's logits_index (GatherND with one batch dimension).
  const hidden = options.lastTokenLogits ? graph.node('/model/last_token', 'GatherND', [body, LOGITS_INDEX_INPUT], { batch_dims: onnxAttribute.int(1) }) : body;
  const outputEmbedding = model.has('lm_head.weight') ? addWeight(context, 'lm_head.weight', true) : graph.transpose('/lm_head', family.tokenEmbedding, [1, 0]);
  graph.namedNode('logits', '/lm_head', 'MatMul', [hidden, outputEmbedding]);
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: DECODER_ONNX_OPSET }, ...(contribOps ? [{ domain: CONTRIB_DOMAIN, version: 1 }] : [])],
    producerName: 'steerlm-ts',
    ...(options.producerVersion !== undefined ? { producerVersion: options.producerVersion } : {}),
    docString: `${config.architecture} decoder with key/value cache, exported by @steerlm/sft`,
    graph: {
      name: `${config.modelType}_decoder`,
      inputs,
      outputs: [
        { name: 'logits', elemType: 'float32', shape: options.lastTokenLogits ? [batch, config.vocabSize] : [batch, sequence, config.vocabSize] },
        ...presents,
      ],
      initializers: graph.initializers,
      nodes: graph.nodes,
    },
  };
}
