/** The forward pass of a GPT-2 decoder (LayerNorm, learned positions, Conv1D layers, GELU MLP) on tfjs tensors. */
import * as tf from '@tensorflow/tfjs';
import type { Gpt2Config } from '../../io/hf-config/gpt2-config';
import { attend, attentionMaskOptions, fromHeads, toHeads, type ForwardInput, type ParameterSource } from '../../models/forward-pieces';
import * as ops from '../../models/model-ops';
import { GPT2_POSITION_EMBEDDING, GPT2_TOKEN_EMBEDDING } from './gpt2-parameters';

/** Returns GPT-2 attention [B*T, C] of the packed projection qkv [B*T, 3C]: read in place by the kernels, or split into heads with a cache. */
function gpt2Attention(layer: number, qkv: tf.Tensor2D, B: number, T: number, H: number, D: number, input: ForwardInput): tf.Tensor2D {
  if (!input.cache) return ops.causalAttentionPacked(qkv, B, T, H, attentionMaskOptions(input));
  const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return fromHeads(attend(layer, toHeads(q, B, T, H, D), toHeads(k, B, T, H, D), toHeads(v, B, T, H, D), input));
}

function conv1d(parameters: ParameterSource, name: string, x: tf.Tensor2D, epilogue: ops.Conv1dEpilogue = {}): tf.Tensor2D {
  return ops.conv1d(x, parameters.get(`${name}.weight`) as tf.Tensor2D, parameters.get(`${name}.bias`) as tf.Tensor1D, epilogue);
}

/** The GELU of a GPT-2 activation_function that conv1d can fuse, or null for the others (relu, silu). */
function fusableGelu(activation: string): 'tanh' | 'erf' | null {
  if (activation === 'relu' || activation === 'silu' || activation === 'swish') return null;
  return activation === 'gelu' ? 'erf' : 'tanh';
}

/** Returns the final hidden states [B*T, C] of a GPT-2 decoder. */
export function gpt2Hidden(config: Gpt2Config, parameters: ParameterSource, input: ForwardInput, positions: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = input.ids.shape;
  const { numAttentionHeads: H, hiddenSize: C, layerNormEps: eps } = config;
  const D = C / H;
  const flatPositions = tf.reshape(positions, [B * T]) as tf.Tensor1D;
  let hidden = tf.add(
    ops.embed(parameters.get(GPT2_TOKEN_EMBEDDING) as tf.Tensor2D, tf.reshape(input.ids, [B * T]) as tf.Tensor1D),
    ops.embed(parameters.get(GPT2_POSITION_EMBEDDING) as tf.Tensor2D, flatPositions),
  ) as tf.Tensor2D;
  const norm = (name: string, x: tf.Tensor2D) =>
    ops.layerNorm(x, parameters.get(`${name}.weight`) as tf.Tensor1D, parameters.get(`${name}.bias`) as tf.Tensor1D, eps);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `transformer.h.${layer}`;
    const qkv = conv1d(parameters, `${prefix}.attn.c_attn`, norm(`${prefix}.ln_1`, hidden));
    const attended = gpt2Attention(layer, qkv, B, T, H, D, input);
    // Bias, GELU and the residual add happen inside the matmuls (one dispatch each on webgpu).
    hidden = conv1d(parameters, `${prefix}.attn.c_proj`, attended, { residual: hidden });
    const expanded = norm(`${prefix}.ln_2`, hidden);
    const gelu = fusableGelu(config.activationFunction);
    const activated = gelu
      ? conv1d(parameters, `${prefix}.mlp.c_fc`, expanded, { activation: gelu })
      : ops.gpt2Activation(conv1d(parameters, `${prefix}.mlp.c_fc`, expanded), config.activationFunction);
    hidden = conv1d(parameters, `${prefix}.mlp.c_proj`, activated, { residual: hidden });
  }
  return norm('transformer.ln_f', hidden);
}
