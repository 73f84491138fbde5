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
import type { Gpt2Config, LlamaConfig, ModelConfig } from '../io/hf-config';
import { onnxAttribute, type OnnxModel, type OnnxValueInfo } from '../io/onnx';
import { ropeInverseFrequencies } from '../kernels/rope/rope-frequencies';
import { readFloat32 } from '../backend/read-tensor';
import type { DecoderModel } from '../models';
import { OnnxGraphBuilder } from './onnx-graph-builder';

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

/** Returns the float32 values of a parameter, transposed from [out, in] to [in, out] when `transpose`. */
function parameterData(context: GraphContext, name: string, transpose: boolean): { dims: number[]; data: Float32Array } {
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
interface GraphContext {
  graph: OnnxGraphBuilder;
  model: DecoderModel;
  /** Every parameter's values, read once before the graph is built. */
  values: Map<string, Float32Array>;
  /** Additive attention bias [B, 1, 1, T, L]: 0 where a query may see a key, -1e9 elsewhere. */
  attentionBias: string;
}

function addWeight(context: GraphContext, name: string, transpose: boolean): string {
  const { dims, data } = parameterData(context, name, transpose);
  return context.graph.weight(transpose ? `${name}.transposed` : name, dims, data);
}

function optionalBias(context: GraphContext, layer: string): string | undefined {
  return context.model.has(`${layer}.bias`) ? addWeight(context, `${layer}.bias`, false) : undefined;
}

/** x · W^T + b for a Hugging Face Linear layer (weights stored transposed in the file). */
function linear(context: GraphContext, layer: string, x: string): string {
  return context.graph.matMulAdd(`/${layer}`, x, addWeight(context, `${layer}.weight`, true), optionalBias(context, layer));
}

/** x · W + b for a GPT-2 Conv1D layer ([in, out] already). */
function conv1d(context: GraphContext, layer: string, x: string): string {
  return context.graph.matMulAdd(`/${layer}`, x, addWeight(context, `${layer}.weight`, false), addWeight(context, `${layer}.bias`, false));
}

function rmsNorm(context: GraphContext, name: string, x: string, eps: number): string {
  const { graph } = context;
  const scope = `/${name}`;
  const meanSquare = graph.node(scope, 'ReduceMean', [graph.node(scope, 'Mul', [x, x])], { axes: onnxAttribute.ints([-1]), keepdims: onnxAttribute.int(1) });
  const root = graph.node(scope, 'Sqrt', [graph.node(scope, 'Add', [meanSquare, graph.float(eps)])]);
  return graph.node(scope, 'Mul', [graph.node(scope, 'Div', [x, root]), addWeight(context, `${name}.weight`, false)]);
}

function layerNorm(context: GraphContext, name: string, x: string, eps: number): string {
  const scale = addWeight(context, `${name}.weight`, false);
  const bias = addWeight(context, `${name}.bias`, false);
  return context.graph.node(`/${name}`, 'LayerNormalization', [x, scale, bias], { axis: onnxAttribute.int(-1), epsilon: onnxAttribute.float(eps) });
}

/** [B, T, heads·D] → [B, heads, T, D]. */
function toHeads(graph: OnnxGraphBuilder, scope: string, x: string, heads: number, D: number): string {
  return graph.transpose(scope, graph.reshape(scope, x, [0, 0, heads, D]), [0, 2, 1, 3]);
}

/** x1·cos − x2·sin ‖ x2·cos + x1·sin on the two halves of the last axis (rotate_half). */
function applyRope(graph: OnnxGraphBuilder, scope: string, x: string, cos: string, sin: string, D: number): string {
  const [x1, x2] = graph.nodeWithOutputs(scope, 'Split', [x, graph.int64([D / 2, D / 2])], 2, { axis: onnxAttribute.int(3) }) as [string, string];
  const first = graph.node(scope, 'Sub', [graph.node(scope, 'Mul', [x1, cos]), graph.node(scope, 'Mul', [x2, sin])]);
  const second = graph.node(scope, 'Add', [graph.node(scope, 'Mul', [x2, cos]), graph.node(scope, 'Mul', [x1, sin])]);
  return graph.node(scope, 'Concat', [first, second], { axis: onnxAttribute.int(3) });
}

/**
 * Appends the new keys/values to the past ones (graph outputs present.{i}.*) and returns the attention
 * output [B, T, H·D]. Grouped queries are reshaped to [B, Hkv, G, T, D] so each key/value head serves
 * its G query heads by broadcasting (head h reads key/value head ⌊h / G⌋, as repeat_kv does).
 */
function attention(context: GraphContext, layer: number, scope: string, q: string, k: string, v: string, heads: { H: number; Hkv: number; D: number }): string {
  const { graph } = context;
  const { H, Hkv, D } = heads;
  const keys = graph.namedNode(`present.${layer}.key`, scope, 'Concat', [`past_key_values.${layer}.key`, k], { axis: onnxAttribute.int(2) });
  const values = graph.namedNode(`present.${layer}.value`, scope, 'Concat', [`past_key_values.${layer}.value`, v], { axis: onnxAttribute.int(2) });
  const grouped = graph.reshape(scope, q, [0, Hkv, H / Hkv, -1, D]);
  const keysT = graph.transpose(scope, graph.unsqueeze(scope, keys, [2]), [0, 1, 2, 4, 3]);
  const scores = graph.node(scope, 'Mul', [graph.node(scope, 'MatMul', [grouped, keysT]), graph.float(1 / Math.sqrt(D))]);
  const probabilities = graph.node(scope, 'Softmax', [graph.node(scope, 'Add', [scores, context.attentionBias])], { axis: onnxAttribute.int(-1) });
  const attended = graph.node(scope, 'MatMul', [probabilities, graph.unsqueeze(scope, values, [2])]);
  const perHead = graph.reshape(scope, attended, [0, H, -1, D]);
  return graph.reshape(scope, graph.transpose(scope, perHead, [0, 2, 1, 3]), [0, 0, H * D]);
}

/** Builds the additive causal + padding bias [B, 1, 1, T, L] from the input shapes and attention_mask. */
function buildAttentionBias(graph: OnnxGraphBuilder): string {
  const scope = '/model/attention_bias';
  const newTokens = graph.node(scope, 'Gather', [graph.node(scope, 'Shape', ['input_ids']), graph.int64([1], true)], { axis: onnxAttribute.int(0) });
  const allKeys = graph.node(scope, 'Gather', [graph.node(scope, 'Shape', ['attention_mask']), graph.int64([1], true)], { axis: onnxAttribute.int(0) });
  const pastKeys = graph.node(scope, 'Sub', [allKeys, newTokens]);
  const one = graph.int64([1], true);
  const keyIndex = graph.node(scope, 'Range', [graph.int64([0], true), allKeys, one]);
  const queryIndex = graph.unsqueeze(scope, graph.node(scope, 'Range', [pastKeys, allKeys, one]), [1]);
  const causal = graph.node(scope, 'LessOrEqual', [keyIndex, queryIndex]);
  const padding = graph.unsqueeze(scope, graph.cast(scope, 'attention_mask', 'bool'), [1, 2, 3]);
  const allowed = graph.node(scope, 'And', [causal, padding]);
  return graph.node(scope, 'Where', [allowed, graph.float(0), graph.float(MASKED_SCORE)]);
}

function llamaInverseFrequencies(config: LlamaConfig): Float32Array {
  const scaling = config.ropeScaling;
  if (scaling?.ropeType === 'llama3') return ropeInverseFrequencies(config.headDim, config.ropeTheta, scaling);
  const base = ropeInverseFrequencies(config.headDim, config.ropeTheta);
  return scaling?.ropeType === 'linear' ? base.map((frequency) => frequency / scaling.factor) : base;
}

function llamaBody(context: GraphContext, config: LlamaConfig): string {
  const { graph } = context;
  const { numAttentionHeads: H, numKeyValueHeads: Hkv, headDim: D, rmsNormEps: eps } = config;
  let hidden = graph.node('/model/embed_tokens', 'Gather', [addWeight(context, 'model.embed_tokens.weight', false), 'input_ids'], { axis: onnxAttribute.int(0) });
  const ropeScope = '/model/rotary_emb';
  const positions = graph.unsqueeze(ropeScope, graph.cast(ropeScope, 'position_ids', 'float32'), [1, 3]);
  const angles = graph.node(ropeScope, 'Mul', [positions, graph.weight('model.rotary_emb.inv_freq', [D / 2], llamaInverseFrequencies(config))]);
  const cos = graph.node(ropeScope, 'Cos', [angles]);
  const sin = graph.node(ropeScope, 'Sin', [angles]);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const scope = `/${prefix}/self_attn`;
    const x = rmsNorm(context, `${prefix}.input_layernorm`, hidden, eps);
    const q = applyRope(graph, `${scope}/rope_q`, toHeads(graph, scope, linear(context, `${prefix}.self_attn.q_proj`, x), H, D), cos, sin, D);
    const k = applyRope(graph, `${scope}/rope_k`, toHeads(graph, scope, linear(context, `${prefix}.self_attn.k_proj`, x), Hkv, D), cos, sin, D);
    const v = toHeads(graph, scope, linear(context, `${prefix}.self_attn.v_proj`, x), Hkv, D);
    const attended = attention(context, layer, scope, q, k, v, { H, Hkv, D });
    hidden = graph.node(`/${prefix}`, 'Add', [hidden, linear(context, `${prefix}.self_attn.o_proj`, attended)]);
    const y = rmsNorm(context, `${prefix}.post_attention_layernorm`, hidden, eps);
    const gate = linear(context, `${prefix}.mlp.gate_proj`, y);
    const mlpScope = `/${prefix}/mlp`;
    const activated = graph.node(mlpScope, 'Mul', [graph.node(mlpScope, 'Mul', [gate, graph.node(mlpScope, 'Sigmoid', [gate])]), linear(context, `${prefix}.mlp.up_proj`, y)]);
    hidden = graph.node(`/${prefix}`, 'Add', [hidden, linear(context, `${prefix}.mlp.down_proj`, activated)]);
  }
  return rmsNorm(context, 'model.norm', hidden, eps);
}

/** The activation of a GPT-2 MLP, per `activation_function` (gelu_new and friends: the tanh approximation). */
function gpt2Activation(graph: OnnxGraphBuilder, scope: string, x: string, activation: Gpt2Config['activationFunction']): string {
  if (activation === 'relu') return graph.node(scope, 'Relu', [x]);
  if (activation === 'silu') return graph.node(scope, 'Mul', [x, graph.node(scope, 'Sigmoid', [x])]);
  const half = graph.node(scope, 'Mul', [x, graph.float(0.5)]);
  let inner: string;
  if (activation === 'gelu') {
    inner = graph.node(scope, 'Erf', [graph.node(scope, 'Mul', [x, graph.float(Math.SQRT1_2)])]);
  } else {
    const cube = graph.node(scope, 'Mul', [graph.node(scope, 'Mul', [x, x]), x]);
    const polynomial = graph.node(scope, 'Add', [x, graph.node(scope, 'Mul', [cube, graph.float(0.044715)])]);
    inner = graph.node(scope, 'Tanh', [graph.node(scope, 'Mul', [polynomial, graph.float(Math.sqrt(2 / Math.PI))])]);
  }
  return graph.node(scope, 'Mul', [half, graph.node(scope, 'Add', [inner, graph.float(1)])]);
}

function gpt2Body(context: GraphContext, config: Gpt2Config): string {
  const { graph } = context;
  const { numAttentionHeads: H, hiddenSize: C, layerNormEps: eps } = config;
  const D = C / H;
  const tokens = graph.node('/transformer/wte', 'Gather', [addWeight(context, 'transformer.wte.weight', false), 'input_ids'], { axis: onnxAttribute.int(0) });
  const positions = graph.node('/transformer/wpe', 'Gather', [addWeight(context, 'transformer.wpe.weight', false), 'position_ids'], { axis: onnxAttribute.int(0) });
  let hidden = graph.node('/transformer', 'Add', [tokens, positions]);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `transformer.h.${layer}`;
    const scope = `/${prefix}/attn`;
    const qkv = conv1d(context, `${prefix}.attn.c_attn`, layerNorm(context, `${prefix}.ln_1`, hidden, eps));
    const [q, k, v] = graph.nodeWithOutputs(scope, 'Split', [qkv, graph.int64([C, C, C])], 3, { axis: onnxAttribute.int(2) }) as [string, string, string];
    const attended = attention(context, layer, scope, toHeads(graph, scope, q, H, D), toHeads(graph, scope, k, H, D), toHeads(graph, scope, v, H, D), { H, Hkv: H, D });
    hidden = graph.node(`/${prefix}`, 'Add', [hidden, conv1d(context, `${prefix}.attn.c_proj`, attended)]);
    const expanded = conv1d(context, `${prefix}.mlp.c_fc`, layerNorm(context, `${prefix}.ln_2`, hidden, eps));
    const activated = gpt2Activation(graph, `/${prefix}/mlp/act`, expanded, config.activationFunction);
    hidden = graph.node(`/${prefix}`, 'Add', [hidden, conv1d(context, `${prefix}.mlp.c_proj`, activated)]);
  }
  return layerNorm(context, 'transformer.ln_f', hidden, eps);
}

/** Returns the key/value heads and head width of the cache of `config`. */
export function cacheGeometry(config: ModelConfig): { layers: number; kvHeads: number; headDim: number } {
  if (config.family === 'llama') return { layers: config.numHiddenLayers, kvHeads: config.numKeyValueHeads, headDim: config.headDim };
  return { layers: config.numHiddenLayers, kvHeads: config.numAttentionHeads, headDim: config.hiddenSize / config.numAttentionHeads };
}

/**
 * Resolves to the ONNX model of `model`'s forward pass with a key/value cache (float32, opset 17).
 * Throws an InvalidOptionError when the model still has unmerged LoRA adapters.
 */
export async function decoderOnnxModel(model: DecoderModel, options: { producerVersion?: string } = {}): Promise<OnnxModel> {
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
  ];
  const presents: OnnxValueInfo[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (const part of ['key', 'value']) {
      inputs.push({ name: `past_key_values.${layer}.${part}`, elemType: 'float32', shape: [batch, kvHeads, past, headDim] });
      presents.push({ name: `present.${layer}.${part}`, elemType: 'float32', shape: [batch, kvHeads, total, headDim] });
    }
  }
  const context: GraphContext = { graph, model, values: await readParameterValues(model), attentionBias: buildAttentionBias(graph) };
  const hidden = config.family === 'llama' ? llamaBody(context, config) : gpt2Body(context, config);
  const outputEmbedding = model.has('lm_head.weight')
    ? addWeight(context, 'lm_head.weight', true)
    : graph.transpose('/lm_head', config.family === 'llama' ? 'model.embed_tokens.weight' : 'transformer.wte.weight', [1, 0]);
  graph.namedNode('logits', '/lm_head', 'MatMul', [hidden, outputEmbedding]);
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: DECODER_ONNX_OPSET }],
    producerName: 'steerlm-ts',
    ...(options.producerVersion !== undefined ? { producerVersion: options.producerVersion } : {}),
    docString: `${config.architecture} decoder with key/value cache, exported by @steerlm/sft`,
    graph: {
      name: `${config.modelType}_decoder`,
      inputs,
      outputs: [{ name: 'logits', elemType: 'float32', shape: [batch, sequence, config.vocabSize] }, ...presents],
      initializers: graph.initializers,
      nodes: graph.nodes,
    },
  };
}
