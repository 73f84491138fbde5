/** The ONNX graph of a GPT-2 decoder's layers (see export/decoder-onnx-graph.ts for the inputs and outputs). */
import { onnxAttribute } from '../../io/onnx';
import type { Gpt2Config } from '../../io/hf-config/gpt2-config';
import { addWeight, attention, conv1d, layerNorm, toHeads, type GraphContext } from '../../export/onnx-decoder-pieces';
import type { OnnxGraphBuilder } from '../../export/onnx-graph-builder';
import { GPT2_POSITION_EMBEDDING, GPT2_TOKEN_EMBEDDING } from './gpt2-parameters';
import { groupQueryAttention, residualNorm, type ResidualStream } from '../../export/onnx-contrib-pieces';

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

/** Adds the layers of a GPT-2 decoder to the graph; returns the final hidden states [B, T, C]. */
export function gpt2Body(context: GraphContext, config: Gpt2Config): string {
  return context.contribOps ? gpt2ContribBody(context, config) : gpt2StandardBody(context, config);
}

/**
 * The MLP activation of `x` + `bias` on contrib operators where one exists (FastGelu for the tanh
 * approximation, BiasGelu for the exact GELU).
 */
function gpt2ContribActivation(graph: OnnxGraphBuilder, scope: string, x: string, bias: string, activation: Gpt2Config['activationFunction']): string {
  if (activation === 'gelu') return graph.contribNode(scope, 'BiasGelu', [x, bias], [null])[0]!;
  if (activation === 'relu' || activation === 'silu') return gpt2Activation(graph, scope, graph.node(scope, 'Add', [x, bias]), activation);
  return graph.contribNode(scope, 'FastGelu', [x, bias], [null])[0]!;
}

/** The token plus position embeddings of `input_ids` at `position_ids` (both graph bodies start from them). */
function gpt2Embeddings(context: GraphContext): string {
  const { graph } = context;
  const tokens = graph.node('/transformer/wte', 'Gather', [addWeight(context, GPT2_TOKEN_EMBEDDING, false), 'input_ids'], { axis: onnxAttribute.int(0) });
  const positions = graph.node('/transformer/wpe', 'Gather', [addWeight(context, GPT2_POSITION_EMBEDDING, false), 'position_ids'], {
    axis: onnxAttribute.int(0),
  });
  return graph.node('/transformer', 'Add', [tokens, positions]);
}

/** The GPT-2 layers on ONNX Runtime's contrib operators (see export/onnx-contrib-pieces.ts). */
function gpt2ContribBody(context: GraphContext, config: Gpt2Config): string {
  const { graph } = context;
  const { numAttentionHeads: H, hiddenSize: C, layerNormEps: eps } = config;
  const D = C / H;
  let stream: ResidualStream = { residual: gpt2Embeddings(context) };
  // x · W with the bias left to the next fused node.
  const unbiased = (layer: string, x: string) => graph.node(`/${layer}`, 'MatMul', [x, addWeight(context, `${layer}.weight`, false)]);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `transformer.h.${layer}`;
    const scope = `/${prefix}/attn`;
    const first = residualNorm(context, 'layer', `${prefix}.ln_1`, stream, eps);
    const qkv = conv1d(context, `${prefix}.attn.c_attn`, first.normed);
    const [q, k, v] = graph.nodeWithOutputs(scope, 'Split', [qkv, graph.int64([C, C, C])], 3, { axis: onnxAttribute.int(2) }) as [string, string, string];
    const attended = context.groupQueryAttention
      ? groupQueryAttention(context, layer, scope, [q, k, v], { H, Hkv: H })
      : attention(context, layer, scope, toHeads(graph, scope, q, H, D), toHeads(graph, scope, k, H, D), toHeads(graph, scope, v, H, D), { H, Hkv: H, D });
    const attentionOut = {
      ...first.stream,
      delta: unbiased(`${prefix}.attn.c_proj`, attended),
      deltaBias: addWeight(context, `${prefix}.attn.c_proj.bias`, false),
    };
    const second = residualNorm(context, 'layer', `${prefix}.ln_2`, attentionOut, eps);
    const expanded = unbiased(`${prefix}.mlp.c_fc`, second.normed);
    const activated = gpt2ContribActivation(
      graph,
      `/${prefix}/mlp/act`,
      expanded,
      addWeight(context, `${prefix}.mlp.c_fc.bias`, false),
      config.activationFunction,
    );
    stream = { ...second.stream, delta: unbiased(`${prefix}.mlp.c_proj`, activated), deltaBias: addWeight(context, `${prefix}.mlp.c_proj.bias`, false) };
  }
  return residualNorm(context, 'layer', 'transformer.ln_f', stream, eps).normed;
}

/** The GPT-2 layers on standard ONNX operators only. */
function gpt2StandardBody(context: GraphContext, config: Gpt2Config): string {
  const { graph } = context;
  const { numAttentionHeads: H, hiddenSize: C, layerNormEps: eps } = config;
  const D = C / H;
  let hidden = gpt2Embeddings(context);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `transformer.h.${layer}`;
    const scope = `/${prefix}/attn`;
    const qkv = conv1d(context, `${prefix}.attn.c_attn`, layerNorm(context, `${prefix}.ln_1`, hidden, eps));
    const [q, k, v] = graph.nodeWithOutputs(scope, 'Split', [qkv, graph.int64([C, C, C])], 3, { axis: onnxAttribute.int(2) }) as [string, string, string];
    const attended = attention(context, layer, scope, toHeads(graph, scope, q, H, D), toHeads(graph, scope, k, H, D), toHeads(graph, scope, v, H, D), {
      H,
      Hkv: H,
      D,
    });
    hidden = graph.node(`/${prefix}`, 'Add', [hidden, conv1d(context, `${prefix}.attn.c_proj`, attended)]);
    const expanded = conv1d(context, `${prefix}.mlp.c_fc`, layerNorm(context, `${prefix}.ln_2`, hidden, eps));
    const activated = gpt2Activation(graph, `/${prefix}/mlp/act`, expanded, config.activationFunction);
    hidden = graph.node(`/${prefix}`, 'Add', [hidden, conv1d(context, `${prefix}.mlp.c_proj`, activated)]);
  }
  return layerNorm(context, 'transformer.ln_f', hidden, eps);
}
