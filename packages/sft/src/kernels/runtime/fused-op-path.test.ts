/**
 * A fused op chooses its implementation in one place: the WGSL kernel on webgpu (fused kernels on),
 * its host implementation on cpu and wasm, the composed fallback everywhere else or without a host one.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { causalAttentionOp } from '../attention/attention.op';
import { forEachBackend } from '../testing';
import { defineFusedOp, setFusedKernelsEnabled } from './fused-op';
import { isHostBackend } from './host-backend';
import { runProgram } from './run-program';

const calls: string[] = [];

const withHost = defineFusedOp<{ offset: number }>({
  name: 'SteerLMPathProbeHost',
  inputNames: ['x'],
  webgpu: ([x], { offset }, backend) =>
    runProgram(
      {
        name: 'SteerLMPathProbeHost',
        inputs: ['x'],
        outputs: [{ name: 'y', shape: [...x!.shape] }],
        uniforms: [{ name: 'offset', type: 'f32', value: offset }],
        dispatch: [1, 1, 1],
        body: `@compute @workgroup_size(1) fn main() { for (var i = 0u; i < arrayLength(&y); i++) { y[i] = x[i] + uniforms.offset + 100.0; } }`,
      },
      [x!],
      backend,
    ),
  host: ([x], { offset }) => {
    calls.push('host');
    return [tf.add(x!, offset + 10)];
  },
  fallback: ([x], { offset }) => {
    calls.push('composed');
    return [tf.add(x!, offset)];
  },
});

const withoutHost = defineFusedOp<{ offset: number }>({
  name: 'SteerLMPathProbePlain',
  inputNames: ['x'],
  fallback: ([x], { offset }) => [tf.add(x!, offset)],
});

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  it('runs the implementation path() names, and the fallback without a host one', async () => {
    calls.length = 0;
    const x = tf.tensor1d([1, 2, 3]);
    const expectedPath = context.backend === 'webgpu' ? 'webgpu' : 'host';
    expect(withHost.path()).toBe(expectedPath);
    expect(isHostBackend()).toBe(context.backend !== 'webgpu');
    const [y] = withHost([x], { offset: 1 });
    expect(Array.from(await y!.data())).toEqual(context.backend === 'webgpu' ? [102, 103, 104] : [12, 13, 14]);
    expect(calls).toEqual(context.backend === 'webgpu' ? [] : ['host']);
    expect(withoutHost.path()).toBe('composed');
    const [z] = withoutHost([x], { offset: 1 });
    expect(Array.from(await z!.data())).toEqual([2, 3, 4]);
    tf.dispose([x, y!, z!]);
  });

  if (context.backend === 'webgpu') {
    it('runs the composed fallback on webgpu with fused kernels off', async () => {
      const previous = setFusedKernelsEnabled(false);
      try {
        calls.length = 0;
        expect(withHost.path()).toBe('composed');
        expect(causalAttentionOp.path()).toBe('composed');
        const x = tf.tensor1d([1]);
        const [y] = withHost([x], { offset: 1 });
        expect(Array.from(await y!.data())).toEqual([2]);
        expect(calls).toEqual(['composed']);
        tf.dispose([x, y!]);
      } finally {
        setFusedKernelsEnabled(previous);
      }
    });
  }
});
