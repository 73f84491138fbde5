import * as tf from '@tensorflow/tfjs';
import { BackendError } from '@steerlm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../backend';
import { defineFusedOp, setFusedKernelsEnabled } from './fused-op';
import { checkCompiledPrograms, pipelineCacheKeys } from './pipeline-cache';
import type { WgslProgram } from './program';
import { runProgram, runProgramOnTensors } from './run-program';
import { setPrintWGSL } from './shader-print';
import { packUniforms } from './uniforms';
import { getWebGPUBackend } from './webgpu-context';
import { workgroupGrid } from './dispatch';
import { dispatchCounts, dispatchCountsBetween, installDispatchCounter } from './dispatch-counter';

/** y = scale * x^2 elementwise, and (second output) y + offset. */
function squareProgram(size: number, scale: number, offset: number): WgslProgram {
  return {
    name: 'TestSquare',
    inputs: ['x'],
    outputs: [
      { name: 'y', shape: [size] },
      { name: 'z', shape: [size] },
    ],
    uniforms: [
      { name: 'size', type: 'u32', value: size },
      { name: 'scale', type: 'f32', value: scale },
      { name: 'offset', type: 'f32', value: offset },
    ],
    dispatch: workgroupGrid(Math.ceil(size / 64)),
    shapeIndependent: true,
    body: /* wgsl */ `
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= uniforms.size) { return; }
  let value = uniforms.scale * x[i] * x[i];
  y[i] = value;
  z[i] = value + uniforms.offset;
}`,
  };
}

const square = defineFusedOp<{ scale: number }>({
  name: 'SteerLMTestSquare',
  inputNames: ['x'],
  webgpu: ([x], { scale }, backend) => {
    const [y, z] = runProgram(
      squareProgram(
        x!.shape.reduce((a, b) => a * b, 1),
        scale,
        0,
      ),
      [x!],
      backend,
    );
    backend.disposeData(z!.dataId);
    return [y!];
  },
  fallback: ([x], { scale }) => [tf.mul(scale, tf.square(x!))],
  gradient: ([dy], { inputs: [x] }, { scale }) => [tf.mul(dy!, tf.mul(2 * scale, x!))],
});

let hasWebGPU = false;
const NO_WEBGPU = 'no WebGPU adapter on this machine (install Mesa lavapipe; CI=true makes this an error)';

beforeAll(async () => {
  const selection = await selectBackend({ prefer: 'webgpu', allow: ['webgpu', 'cpu'] });
  hasWebGPU = selection.backend === 'webgpu';
  if (!hasWebGPU && process.env.CI === 'true') throw new BackendError('CI must have a WebGPU adapter (lavapipe)', { backend: 'webgpu' });
});

afterAll(() => {
  setPrintWGSL(false);
});

describe('uniform packing', () => {
  it('packs u32, i32 and f32 scalars in order into 16-byte multiples', () => {
    const bytes = packUniforms([
      { name: 'a', type: 'u32', value: 7 },
      { name: 'b', type: 'i32', value: -3 },
      { name: 'c', type: 'f32', value: 0.5 },
      { name: 'd', type: 'u32', value: 1 },
      { name: 'e', type: 'u32', value: 2 },
    ]);
    expect(bytes.byteLength).toBe(32);
    const view = new DataView(bytes);
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true), view.getUint32(16, true)]).toEqual([7, -3, 0.5, 2]);
  });
});

describe('runProgram on the webgpu backend', () => {
  it('runs after a chain of queued tfjs ops and feeds later tfjs ops, with two outputs', async (ctx) => {
    if (!hasWebGPU) ctx.skip(NO_WEBGPU);
    await tf.setBackend('webgpu');
    const before = tf.memory().numTensors;
    const result = tf.tidy(() => {
      // A chain of queued tfjs ops produces the kernel's input; the inputs are disposed right after.
      const base = tf.range(0, 300, 1, 'float32');
      const x = tf.sub(tf.div(base, 100), 1);
      const [y, z] = runProgramOnTensors(squareProgram(300, 3, 0.25), [x]);
      return tf.stack([tf.add(y!, 1), z!]);
    });
    const values = await result.data();
    for (let i = 0; i < 300; i++) {
      const x = i / 100 - 1;
      expect(values[i]).toBeCloseTo(3 * x * x + 1, 5);
      expect(values[300 + i]).toBeCloseTo(3 * x * x + 0.25, 5);
    }
    result.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("records consecutive dispatches (ours and tfjs's) in one compute pass, in order, and counts them", async (ctx) => {
    if (!hasWebGPU) ctx.skip(NO_WEBGPU);
    await tf.setBackend('webgpu');
    expect(installDispatchCounter()).toBe(true);
    const x = tf.range(0, 200, 1, 'float32').div(200);
    // Warm the pipelines: a new pipeline's first dispatch is submitted on its own.
    tf.tidy(() => runProgramOnTensors(squareProgram(200, 1, 0), [tf.add(x, 0)]));
    await x.data();
    const before = dispatchCounts();
    const result = tf.tidy(() => {
      // Each dispatch reads the previous one's output: x -> x^2 -> x^4 -> 2x^4 (tfjs's Add) -> 2(2x^4)^2.
      const [once] = runProgramOnTensors(squareProgram(200, 1, 0), [x]);
      const [twice] = runProgramOnTensors(squareProgram(200, 1, 0), [once!]);
      const shifted = tf.add(twice!, twice!);
      return runProgramOnTensors(squareProgram(200, 2, 0), [shifted])[0]!;
    });
    const counted = dispatchCountsBetween(before, dispatchCounts());
    const values = await result.data();
    expect(counted.ours).toBe(3);
    expect(counted.total).toBe(4);
    expect(counted.stock).toBe(1);
    expect(counted.computePasses).toBe(1);
    for (let i = 0; i < 200; i++) expect(values[i]).toBeCloseTo(8 * (i / 200) ** 8, 5);
    tf.dispose([x, result]);
  });

  it('reuses one pipeline for shape-independent programs and prints WGSL when asked', async (ctx) => {
    if (!hasWebGPU) ctx.skip(NO_WEBGPU);
    const printed: string[] = [];
    setPrintWGSL((key, source) => printed.push(`${key}\n${source}`));
    const program = (size: number): WgslProgram => ({ ...squareProgram(size, 1, 0), name: 'TestSquarePrinted' });
    for (const size of [5, 70, 129]) {
      const x = tf.ones([size]);
      const outputs = runProgramOnTensors(program(size), [x]);
      expect(Array.from(await outputs[0]!.data())).toEqual(new Array(size).fill(1));
      tf.dispose([x, ...outputs]);
    }
    setPrintWGSL(false);
    const device = getWebGPUBackend().device;
    expect(pipelineCacheKeys(device).filter((key) => key.startsWith('TestSquarePrinted|'))).toHaveLength(1);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/var<uniform> uniforms: Uniforms;/);
    await expect(checkCompiledPrograms()).resolves.toBeUndefined();
  });

  it('reads int32 inputs and handles empty outputs', async (ctx) => {
    if (!hasWebGPU) ctx.skip(NO_WEBGPU);
    const ids = tf.tensor1d([3, 1, 2], 'int32');
    const program: WgslProgram = {
      name: 'TestGather',
      inputs: ['ids', 'table'],
      outputs: [{ name: 'out', shape: [3] }],
      dispatch: [1, 1, 1],
      body: `@compute @workgroup_size(4) fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  if (lid.x < 3u) { out[lid.x] = table[u32(ids[lid.x])]; }
}`,
    };
    const table = tf.tensor1d([10, 11, 12, 13]);
    const [out] = runProgramOnTensors(program, [ids, table]);
    expect(Array.from(await out!.data())).toEqual([13, 11, 12]);
    const [empty] = runProgramOnTensors(
      {
        ...squareProgram(0, 1, 0),
        outputs: [
          { name: 'y', shape: [0] },
          { name: 'z', shape: [0] },
        ],
      },
      [tf.zeros([0])],
    );
    expect(empty!.shape).toEqual([0]);
    tf.dispose([ids, table, out!, empty!]);
  });

  it('reports WGSL compile errors with the kernel name', async (ctx) => {
    if (!hasWebGPU) ctx.skip(NO_WEBGPU);
    const broken: WgslProgram = {
      ...squareProgram(4, 1, 0),
      name: 'TestBroken',
      body: '@compute @workgroup_size(1) fn main() { let a: f32 = undefined_symbol; }',
    };
    const outputs = runProgramOnTensors(broken, [tf.ones([4])]);
    tf.dispose(outputs);
    await expect(checkCompiledPrograms()).rejects.toThrow(/TestBroken/);
    // The broken dispatch went in a command buffer of its own: tfjs work around it still runs.
    const after = tf.tidy(() => tf.mul(tf.tensor1d([1, 2, 3]), 2));
    expect(Array.from(await after.data())).toEqual([2, 4, 6]);
    after.dispose();
  });

  it('refuses programs whose extensions the device lacks', (ctx) => {
    if (!hasWebGPU) ctx.skip(NO_WEBGPU);
    const program: WgslProgram = { ...squareProgram(4, 1, 0), name: 'TestMatrix', enables: ['chromium_experimental_subgroup_matrix'] };
    if (getWebGPUBackend().device.features.has('chromium-experimental-subgroup-matrix')) {
      ctx.skip('this device has chromium-experimental-subgroup-matrix, so there is no missing extension to refuse');
    }
    const x = tf.ones([4]);
    expect(() => runProgramOnTensors(program, [x])).toThrow(BackendError);
    x.dispose();
  });
});

describe('defineFusedOp', () => {
  async function valueAndGradient(): Promise<{ y: number[]; dx: number[] }> {
    const x = tf.tensor1d([-1.5, 0, 0.5, 2, 3]);
    const f = (input: tf.Tensor): tf.Tensor => tf.sum(tf.mul(square([tf.exp(input)], { scale: 3 })[0]!, tf.tensor1d([1, 2, 3, 4, 5])));
    const { value, grad } = tf.valueAndGrad(f)(x);
    const y = Array.from(await value.data());
    const dx = Array.from(await grad.data());
    tf.dispose([x, value, grad]);
    return { y, dx };
  }

  // d/dx sum(w * 3 e^{2x}) = 6 w e^{2x}
  const expectedGradient = [-1.5, 0, 0.5, 2, 3].map((x, i) => 6 * (i + 1) * Math.exp(2 * x));

  it('gives the analytic gradient through the composed fallback (cpu)', async () => {
    await tf.setBackend('cpu');
    const reference = await valueAndGradient();
    reference.dx.forEach((value, i) => expect(value / expectedGradient[i]!).toBeCloseTo(1, 5));
  });

  it('gives the same value and gradient through the WGSL kernel as through the composed fallback', async (ctx) => {
    if (!hasWebGPU) ctx.skip(NO_WEBGPU);
    await tf.setBackend('cpu');
    const reference = await valueAndGradient();
    await tf.setBackend('webgpu');
    expect(square.usesKernel()).toBe(true);
    const before = tf.memory().numTensors;
    const fused = await valueAndGradient();
    expect(tf.memory().numTensors).toBe(before);
    fused.y.forEach((value, i) => expect(value).toBeCloseTo(reference.y[i]!, 2));
    fused.dx.forEach((value, i) => expect(value / reference.dx[i]!).toBeCloseTo(1, 5));
    const previous = setFusedKernelsEnabled(false);
    expect(square.usesKernel()).toBe(false);
    setFusedKernelsEnabled(previous);
  });
});
