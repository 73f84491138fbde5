/** The ONNX graph of a Llama-family decoder's layers (see export/decoder-onnx-graph.ts for the inputs and outputs). */
import { onnxAttribute } from '../../io/onnx';
import type { LlamaConfig } from '../../io/hf-config/llama-config';
import { ropeInverseFrequencies } from '../../kernels/rope/rope-frequencies';
import { addWeight, applyRope, attention, linear, rmsNorm, toHeads, type GraphContext } from '../../export/onnx-decoder-pieces';
import { LLAMA_TOKEN_EMBEDDING } from './llama-parameters';

function llamaInverseFrequencies(config: LlamaConfig): Float32Array {
  const scaling = config.ropeScaling;
  if (scaling?.ropeType === 'llama3') return ropeInverseFrequencies(config.headDim, config.ropeTheta, scaling);
  const base = ropeInverseFrequencies(config.headDim, config.ropeTheta);
  return scaling?.ropeType === 'linear' ? base.map((frequency) => frequency / scaling.factor) : base;
}

/** Adds the layers of a Llama-family decoder to the graph; returns the final hidden states [B, T, C]. */
export function llamaBody(context: GraphContext, config: LlamaConfig): string {
  const { graph } = context;
  const { numAttentionHeads: H, numKeyValueHeads: Hkv, headDim: D, rmsNormEps: eps } = config;
  let hidden = graph.node('/model/embed_tokens', 'Gather', [addWeight(context, LLAMA_TOKEN_EMBEDDING, false), 'input_ids'], { axis: onnxAttribute.int(0) });
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
    const activated = graph.node(mlpScope, 'Mul', [
      graph.node(mlpScope, 'Mul', [gate, graph.node(mlpScope, 'Sigmoid', [gate])]),
      linear(context, `${prefix}.mlp.up_proj`, y),
    ]);
    hidden = graph.node(`/${prefix}`, 'Add', [hidden, linear(context, `${prefix}.mlp.down_proj`, activated)]);
  }
  return rmsNorm(context, 'model.norm', hidden, eps);
}
