/** The ONNX graph of a Llama-family decoder's layers (see export/decoder-onnx-graph.ts for the inputs and outputs). */
import { onnxAttribute } from '../../io/onnx';
import type { LlamaConfig } from '../../io/hf-config/llama-config';
import { ropeInverseFrequencies } from '../../kernels/rope/rope-frequencies';
import { addWeight, applyRope, attention, linear, rmsNorm, toHeads, type GraphContext } from '../../export/onnx-decoder-pieces';
import { LLAMA_TOKEN_EMBEDDING } from './llama-parameters';
import { fusedLinear, groupQueryAttention, residualNorm, rotaryEmbedding, type ResidualStream } from '../../export/onnx-contrib-pieces';

function llamaInverseFrequencies(config: LlamaConfig): Float32Array {
  const scaling = config.ropeScaling;
  if (scaling?.ropeType === 'llama3') return ropeInverseFrequencies(config.headDim, config.ropeTheta, scaling);
  const base = ropeInverseFrequencies(config.headDim, config.ropeTheta);
  return scaling?.ropeType === 'linear' ? base.map((frequency) => frequency / scaling.factor) : base;
}

/** Adds the layers of a Llama-family decoder to the graph; returns the final hidden states [B, T, C]. */
export function llamaBody(context: GraphContext, config: LlamaConfig): string {
  return context.contribOps ? llamaContribBody(context, config) : llamaStandardBody(context, config);
}

/**
 * The cos and sin caches [positions, D/2] RotaryEmbedding reads: the
 * angles position · inverse frequency rounded to float32, as the standard graph and tfjs compute them.
 */
function rotaryCaches(context: GraphContext, config: LlamaConfig): { cos: string; sin: string } {
  const frequencies = llamaInverseFrequencies(config);
  const half = frequencies.length;
  const cos = new Float32Array(config.maxPositionEmbeddings * half);
  const sin = new Float32Array(config.maxPositionEmbeddings * half);
  for (let position = 0; position < config.maxPositionEmbeddings; position++) {
    for (let index = 0; index < half; index++) {
      const angle = Math.fround(position * frequencies[index]!);
      cos[position * half + index] = Math.cos(angle);
      sin[position * half + index] = Math.sin(angle);
    }
  }
  return {
    cos: context.graph.weight('model.rotary_emb.cos_cache', [config.maxPositionEmbeddings, half], cos),
    sin: context.graph.weight('model.rotary_emb.sin_cache', [config.maxPositionEmbeddings, half], sin),
  };
}

/** The Llama layers on ONNX Runtime's contrib operators (see export/onnx-contrib-pieces.ts). */
function llamaContribBody(context: GraphContext, config: LlamaConfig): string {
  const { graph } = context;
  const { numAttentionHeads: H, numKeyValueHeads: Hkv, headDim: D, rmsNormEps: eps } = config;
  const embedded = graph.node('/model/embed_tokens', 'Gather', [addWeight(context, LLAMA_TOKEN_EMBEDDING, false), 'input_ids'], { axis: onnxAttribute.int(0) });
  const rotary = context.groupQueryAttention ? rotaryCaches(context, config) : undefined;
  const standardRope = rotary ? undefined : ropeTables(graph, config);
  let stream: ResidualStream = { residual: embedded };
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const scope = `/${prefix}/self_attn`;
    const first = residualNorm(context, 'rms', `${prefix}.input_layernorm`, stream, eps);
    const projections = ['q_proj', 'k_proj', 'v_proj'].map((name) => `${prefix}.self_attn.${name}`);
    const [q, k, v] = fusedLinear(context, projections, first.normed) as [string, string, string];
    let attended: string;
    if (rotary) {
      // RotaryEmbedding, not GroupQueryAttention's own rotary: at the prefill that one ignores
      // position_ids past the first row's first (positions 0..T−1 in every row), which breaks
      // left-padded batches (transformers.js); apart it is no slower.
      const qRotated = rotaryEmbedding(context, `${scope}/rope_q`, q, H, rotary);
      const kRotated = rotaryEmbedding(context, `${scope}/rope_k`, k, Hkv, rotary);
      attended = groupQueryAttention(context, layer, scope, [qRotated, kRotated, v], { H, Hkv });
    } else {
      const { cos, sin } = standardRope!;
      const qHeads = applyRope(graph, `${scope}/rope_q`, toHeads(graph, scope, q, H, D), cos, sin, D);
      const kHeads = applyRope(graph, `${scope}/rope_k`, toHeads(graph, scope, k, Hkv, D), cos, sin, D);
      attended = attention(context, layer, scope, qHeads, kHeads, toHeads(graph, scope, v, Hkv, D), { H, Hkv, D });
    }
    const second = residualNorm(
      context,
      'rms',
      `${prefix}.post_attention_layernorm`,
      { ...first.stream, delta: linear(context, `${prefix}.self_attn.o_proj`, attended) },
      eps,
    );
    const mlpScope = `/${prefix}/mlp`;
    const [gate, up] = fusedLinear(context, [`${prefix}.mlp.gate_proj`, `${prefix}.mlp.up_proj`], second.normed) as [string, string];
    const activated = graph.node(mlpScope, 'Mul', [graph.node(mlpScope, 'Mul', [gate, graph.node(mlpScope, 'Sigmoid', [gate])]), up]);
    stream = { ...second.stream, delta: linear(context, `${prefix}.mlp.down_proj`, activated) };
  }
  return residualNorm(context, 'rms', 'model.norm', stream, eps).normed;
}

/** The rotary cos and sin [B, 1, T, D/2] at position_ids, for the standard attention. */
function ropeTables(graph: GraphContext['graph'], config: LlamaConfig): { cos: string; sin: string } {
  const ropeScope = '/model/rotary_emb';
  const positions = graph.unsqueeze(ropeScope, graph.cast(ropeScope, 'position_ids', 'float32'), [1, 3]);
  const angles = graph.node(ropeScope, 'Mul', [positions, graph.weight('model.rotary_emb.inv_freq', [config.headDim / 2], llamaInverseFrequencies(config))]);
  return { cos: graph.node(ropeScope, 'Cos', [angles]), sin: graph.node(ropeScope, 'Sin', [angles]) };
}

/** The Llama layers on standard ONNX operators only. */
function llamaStandardBody(context: GraphContext, config: LlamaConfig): string {
  const { graph } = context;
  const { numAttentionHeads: H, numKeyValueHeads: Hkv, headDim: D, rmsNormEps: eps } = config;
  let hidden = graph.node('/model/embed_tokens', 'Gather', [addWeight(context, LLAMA_TOKEN_EMBEDDING, false), 'input_ids'], { axis: onnxAttribute.int(0) });
  const { cos, sin } = ropeTables(graph, config);
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
