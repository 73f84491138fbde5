/** The forward pass of a Llama-family decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU) on tfjs tensors. */
import * as tf from '@tensorflow/tfjs';
import type { LlamaConfig } from '../../io/hf-config/llama-config';
import { ropeInverseFrequencies } from '../../kernels/rope/rope-frequencies';
import { attend, fromHeads, toHeads, type ForwardInput, type ParameterSource } from '../../models/forward-pieces';
import * as ops from '../../models/model-ops';
import { LLAMA_TOKEN_EMBEDDING } from './llama-parameters';

function applyRope(config: LlamaConfig, x: tf.Tensor4D, positions: tf.Tensor2D): tf.Tensor4D {
  const scaling = config.ropeScaling;
  if (scaling?.ropeType === 'linear') {
    return ops.ropeLinearScaled(x, positions, ropeInverseFrequencies(config.headDim, config.ropeTheta), scaling.factor);
  }
  return ops.rope(x, { theta: config.ropeTheta, positions, ...(scaling?.ropeType === 'llama3' ? { scaling } : {}) });
}

/** Returns the final hidden states [B*T, C] of a Llama-family decoder. */
export function llamaHidden(config: LlamaConfig, parameters: ParameterSource, input: ForwardInput, positions: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = input.ids.shape;
  const { numAttentionHeads: H, numKeyValueHeads: Hkv, headDim: D, rmsNormEps: eps } = config;
  let hidden = ops.embed(parameters.get(LLAMA_TOKEN_EMBEDDING) as tf.Tensor2D, tf.reshape(input.ids, [B * T]) as tf.Tensor1D);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const x = ops.rmsNorm(hidden, parameters.get(`${prefix}.input_layernorm.weight`) as tf.Tensor1D, eps);
    const q = applyRope(config, toHeads(parameters.linear(`${prefix}.self_attn.q_proj`, x), B, T, H, D), positions);
    const k = applyRope(config, toHeads(parameters.linear(`${prefix}.self_attn.k_proj`, x), B, T, Hkv, D), positions);
    const v = toHeads(parameters.linear(`${prefix}.self_attn.v_proj`, x), B, T, Hkv, D);
    const attended = fromHeads(attend(layer, q, k, v, input));
    hidden = tf.add(hidden, parameters.linear(`${prefix}.self_attn.o_proj`, attended));
    const y = ops.rmsNorm(hidden, parameters.get(`${prefix}.post_attention_layernorm.weight`) as tf.Tensor1D, eps);
    const gated = ops.swiglu(parameters.linear(`${prefix}.mlp.gate_proj`, y), parameters.linear(`${prefix}.mlp.up_proj`, y));
    hidden = tf.add(hidden, parameters.linear(`${prefix}.mlp.down_proj`, gated));
  }
  return ops.rmsNorm(hidden, parameters.get('model.norm.weight') as tf.Tensor1D, eps);
}
