/**
 * The subgroup-matrix GEMM: its generated sources (the real and the emulated lowering differ only in
 * the primitives), its tiling choice, and its parity with the TS reference on f16-rounded operands —
 * through the emulated primitives on any webgpu adapter with shader-f16 (lavapipe here), so the
 * tiling, double buffering, vec4 and scalar loads, transposes, bounds and epilogues run for real; and
 * through the real subgroup matrices only where the adapter offers them (skipped elsewhere, with the
 * reason). Tolerances: toleranceFor('f32', sqrt(K)) against the reference on f16-rounded inputs (the
 * products are exact in f32; only the sums round).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { geluReference } from '../activations/activations.reference';
import { checkCompiledPrograms, getWebGPUBackend, runProgramOnTensors, webgpuFeatures } from '../runtime';
import { assembleSource } from '../runtime/program';
import { expectClose, expectNoTensorLeak, forEachBackend, randomArray, readFloat32, roundArrayToFloat16, toleranceFor } from '../testing';
import { matmulDims, matmulReference, type MatmulDims } from './matmul.reference';
import { f16SubgroupMatrixConfig } from './matmul.variant';
import type { MatmulEpilogue } from './matmul.wgsl';
import { chooseMmaGemmTiling, mmaGemmProgram, mmaGemmWorkgroupBytes, type MmaGemmTiling } from './mma-gemm.wgsl';
import { MMA_PRIMITIVES_BEGIN, MMA_PRIMITIVES_END, type MmaLowering } from './mma-primitives';

interface Case {
  a: number[];
  b: number[];
  transposeA?: boolean;
  transposeB?: boolean;
  epilogue?: MatmulEpilogue;
}

/** Odd sizes (scalar loads), multiples of 4 (vec4 loads) over several output tiles and K slabs, batches, epilogues. */
const CASES: Case[] = [
  { a: [1, 1], b: [1, 1] },
  { a: [37, 45], b: [45, 29] },
  { a: [45, 37], b: [45, 29], transposeA: true },
  { a: [37, 45], b: [29, 45], transposeB: true },
  { a: [45, 37], b: [29, 45], transposeA: true, transposeB: true },
  { a: [132, 68], b: [68, 140] },
  { a: [68, 132], b: [140, 68], transposeA: true, transposeB: true },
  { a: [130, 70], b: [70, 129] },
  { a: [2, 19, 70], b: [2, 70, 33] },
  { a: [2, 19, 12], b: [12, 36] },
  { a: [37, 45], b: [45, 29], epilogue: { bias: true, activation: 'tanh', savePreActivation: true, residual: true } },
  { a: [132, 68], b: [140, 68], transposeB: true, epilogue: { bias: true, activation: 'erf' } },
];

function describeCase(c: Case): string {
  const epilogue = c.epilogue ? ` +${Object.keys(c.epilogue).join('+')}` : '';
  return `[${c.a.join('x')}]${c.transposeA ? 'ᵀ' : ''} · [${c.b.join('x')}]${c.transposeB ? 'ᵀ' : ''}${epilogue}`;
}

/**
 * 64×64×32 tiles with 8×8×8 fragments (Apple's and Intel's), 2-wide emulated subgroups: 32-deep slabs of
 * 4 fragment steps. (The device's 128×128 tile is the same template with larger constants; lavapipe
 * takes minutes to compile its emulation, where every invocation holds 4,096 accumulators.)
 */
const EMULATED_DEEP: MmaGemmTiling = { fragment: { M: 8, N: 8, K: 8 }, subgroupSize: 2, tileM: 64, tileN: 64, tileK: 32, subgroupsM: 2, subgroupsN: 2 };

/** Returns the source lines outside the primitives block. */
function linesOutsidePrimitives(body: string): string[] {
  const lines = body.split('\n');
  const begin = lines.indexOf(MMA_PRIMITIVES_BEGIN);
  const end = lines.indexOf(MMA_PRIMITIVES_END);
  expect(begin).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  return [...lines.slice(0, begin), ...lines.slice(end + 1)];
}

function primitivesBlock(body: string): string {
  return body.slice(body.indexOf(MMA_PRIMITIVES_BEGIN), body.indexOf(MMA_PRIMITIVES_END));
}

describe('subgroup-matrix GEMM sources', () => {
  const tiling = chooseMmaGemmTiling({ M: 16, N: 16, K: 16 }, 32, 49152);

  it('differ between the real and the emulated lowering only in the primitives and the uniformity diagnostic of the entry point', () => {
    for (const c of CASES) {
      const dims = matmulDims(c.a, c.b, c.transposeA, c.transposeB);
      const options = { tiling, ...(c.epilogue ? { epilogue: c.epilogue } : {}) };
      const real = mmaGemmProgram(dims, { ...options, lowering: 'subgroup-matrix' });
      const emulated = mmaGemmProgram(dims, { ...options, lowering: 'emulated' });
      const realLines = linesOutsidePrimitives(real.body);
      const emulatedLines = linesOutsidePrimitives(emulated.body);
      expect(realLines.length).toBe(emulatedLines.length);
      const differing = realLines.flatMap((line, index) => (line === emulatedLines[index] ? [] : [`${line.trim()} <> ${emulatedLines[index]!.trim()}`]));
      expect(differing, describeCase(c)).toEqual([
        expect.stringMatching(
          /^@compute @workgroup_size\(128, 1, 1\) @diagnostic\(off, chromium_experimental\.subgroup_matrix_uniformity\) <> @compute @workgroup_size\(128, 1, 1\)$/,
        ),
      ]);
      // Everything else about the program is the same too (inputs, vec4 bindings, dispatch, uniforms).
      expect({ ...real, body: '', variant: '', enables: [] }).toEqual({ ...emulated, body: '', variant: '', enables: [] });
      expect(real.enables).toEqual(['f16', 'subgroups', 'chromium_experimental_subgroup_matrix']);
      expect(emulated.enables).toEqual(['f16']);
      expect(primitivesBlock(emulated.body)).not.toMatch(/subgroup_matrix|subgroupMatrix/);
    }
  });

  it('load transposed operands column-major from tiles kept in their global layout, with Dawn’s builtin spelling', () => {
    const source = (transposeA: boolean, transposeB: boolean): string =>
      primitivesBlock(
        mmaGemmProgram(matmulDims(transposeA ? [40, 36] : [36, 40], transposeB ? [44, 40] : [40, 44], transposeA, transposeB), {
          lowering: 'subgroup-matrix',
          tiling,
        }).body,
      );
    expect(source(false, false)).toContain('subgroupMatrixLoad<MmaLeft>(&tileA, offset, false, 32u)');
    expect(source(false, false)).toContain('subgroupMatrixLoad<MmaRight>(&tileB, offset, false, 128u)');
    expect(source(true, true)).toContain('subgroupMatrixLoad<MmaLeft>(&tileA, offset, true, 128u)');
    expect(source(true, true)).toContain('subgroupMatrixLoad<MmaRight>(&tileB, offset, true, 32u)');
    expect(source(false, false)).toContain('alias MmaLeft = subgroup_matrix_left<f16, 16, 16>;');
    expect(source(false, false)).toContain('subgroupMatrixMultiplyAccumulate(a, b, acc)');
    expect(source(false, false)).toContain('subgroupMatrixStore(&tileC, offset, value, false, 16u)');
  });

  it('binds an operand as vec4 exactly when its contiguous axis is a multiple of 4', () => {
    const vectors = (a: number[], b: number[], tA: boolean, tB: boolean) =>
      mmaGemmProgram(matmulDims(a, b, tA, tB), { lowering: 'emulated', tiling }).vectorInputs;
    expect(vectors([36, 40], [40, 44], false, false)).toEqual(['a', 'b']);
    expect(vectors([37, 45], [45, 29], false, false)).toEqual([]);
    expect(vectors([45, 36], [45, 29], true, false)).toEqual(['a']); // Aᵀ: contiguous along M = 36
    expect(vectors([37, 44], [29, 44], false, true)).toEqual(['a', 'b']); // contiguous along K = 44 for both
  });

  it('tiles 128×128×32 where 48 KiB of workgroup memory is available, smaller tiles below, none in 8 KiB', () => {
    expect(tiling).toMatchObject({ tileM: 128, tileN: 128, tileK: 32, subgroupsM: 2, subgroupsN: 2 });
    // 2 buffers × (128×32 + 32×128) f16 + 4 subgroups × 16×16 f32.
    expect(mmaGemmWorkgroupBytes(tiling)).toBe(2 * 2 * (4096 + 4096) + 4 * 4 * 256);
    expect(chooseMmaGemmTiling({ M: 16, N: 16, K: 16 }, 32, 32768)).toMatchObject({ tileM: 128, tileK: 16 });
    expect(chooseMmaGemmTiling({ M: 8, N: 8, K: 8 }, 32, 16384)).toMatchObject({ tileM: 64, tileK: 16 });
    expect(() => chooseMmaGemmTiling({ M: 16, N: 16, K: 16 }, 32, 8192)).toThrow(ShapeError);
  });

  it('refuses the column-sum epilogue (the tiled kernel’s) and tilings that do not divide into fragments', () => {
    const dims = matmulDims([4, 4], [4, 4]);
    expect(() => mmaGemmProgram(dims, { lowering: 'emulated', tiling, epilogue: { sumBColumns: true } })).toThrow(InvalidOptionError);
    expect(() => mmaGemmProgram(dims, { lowering: 'emulated', tiling: { ...tiling, tileM: 80 } })).toThrow(/not a whole number of 16×16×16 fragments/);
  });
});

/** Returns the reference C (and the pre-activation) of `c` on f16-rounded operands, with the epilogue in f32. */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array, residual: Float32Array, dims: MatmulDims, epilogue: MatmulEpilogue) {
  const product = matmulReference(roundArrayToFloat16(a), roundArrayToFloat16(b), dims);
  const pre = epilogue.bias ? product.map((value, index) => value + bias[index % dims.N]!) : product;
  let out = epilogue.activation ? geluReference(pre, epilogue.activation) : pre;
  if (epilogue.residual) out = out.map((value, index) => value + residual[index]!);
  return { c: out, pre };
}

/** Returns nothing; runs every case through `lowering` with `tiling` and compares with the reference. */
async function expectParity(lowering: MmaLowering, tiling: MmaGemmTiling, seed: number): Promise<void> {
  for (const [index, c] of CASES.entries()) {
    const dims = matmulDims(c.a, c.b, c.transposeA, c.transposeB);
    const epilogue = c.epilogue ?? {};
    const a = randomArray(c.a, { seed: seed + index });
    const b = randomArray(c.b, { seed: seed + 50 + index });
    const bias = randomArray([dims.N], { seed: seed + 100 + index });
    const residual = randomArray([dims.M, dims.N], { seed: seed + 150 + index });
    const expected = reference(a, b, bias, residual, dims, epilogue);
    await expectNoTensorLeak(async () => {
      const inputs = [
        tf.tensor(a, c.a),
        tf.tensor(b, c.b),
        ...(epilogue.bias ? [tf.tensor(bias, [dims.N])] : []),
        ...(epilogue.residual ? [tf.tensor(residual, [dims.M, dims.N])] : []),
      ];
      const outputs = runProgramOnTensors(mmaGemmProgram(dims, { lowering, tiling, epilogue }), inputs);
      const tolerance = toleranceFor('f32', Math.sqrt(dims.K));
      expectClose(await readFloat32(outputs[0]!), expected.c, { ...tolerance, label: `${lowering} C of ${describeCase(c)}` });
      if (epilogue.savePreActivation)
        expectClose(await readFloat32(outputs[1]!), expected.pre, { ...tolerance, label: `${lowering} pre of ${describeCase(c)}` });
      tf.dispose([...inputs, ...outputs]);
    }, describeCase(c));
  }
  await expect(checkCompiledPrograms()).resolves.toBeUndefined();
}

await forEachBackend(['webgpu'], (context) => {
  it('matches the reference through the emulated primitives with 8×8×8 fragments and 64×64×32 tiles: odd sizes, transposes, vec4, batches, epilogues', async (ctx) => {
    if (!context.features!.hasF16) ctx.skip('this adapter lacks shader-f16, which the GEMM needs for its f16 tiles');
    await expectParity('emulated', EMULATED_DEEP, 2000);
  });

  it('stages operands past the f16 range as NaN (as the tiled kernel does), so an overflow reaches the finite check', async (ctx) => {
    if (!context.features!.hasF16) ctx.skip('this adapter lacks shader-f16, which the GEMM needs for its f16 tiles');
    const dims = matmulDims([5, 12], [12, 7], false, false);
    const a = randomArray([5, 12], { seed: 31 });
    a[2 * 12 + 3] = 1e6; // row 2 of A: past f16's 65504
    const b = randomArray([12, 7], { seed: 32 });
    const inputs = [tf.tensor(a, [5, 12]), tf.tensor(b, [12, 7])];
    const [c] = runProgramOnTensors(mmaGemmProgram(dims, { lowering: 'emulated', tiling: EMULATED_DEEP }), inputs);
    const values = await readFloat32(c!);
    for (let row = 0; row < 5; row++) {
      const cells = Array.from(values.subarray(row * 7, row * 7 + 7));
      if (row === 2) expect(cells.every(Number.isNaN), `row ${row}`).toBe(true);
      else expect(cells.every(Number.isFinite), `row ${row}`).toBe(true);
    }
    tf.dispose([...inputs, c!]);
  });

  it('cannot be validated by Dawn without the feature: the real lowering is refused at its enable directive, before any other check', async (ctx) => {
    if (webgpuFeatures().hasSubgroupMatrix) ctx.skip('this adapter offers subgroup matrices: the parity test below compiles the real lowering');
    const device = getWebGPUBackend().device;
    const program = mmaGemmProgram(matmulDims([36, 40], [40, 44]), {
      lowering: 'subgroup-matrix',
      tiling: chooseMmaGemmTiling({ M: 16, N: 16, K: 16 }, 32, 49152),
    });
    const source = assembleSource(program, ['float32', 'float32']);
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: source });
    const info = await module.getCompilationInfo();
    await device.popErrorScope();
    const errors = info.messages.filter((message) => message.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/extension 'chromium_experimental_subgroup_matrix' is not allowed/);
    expect(source.split('\n')[errors[0]!.lineNum - 1]).toBe('enable chromium_experimental_subgroup_matrix;');
  });

  it('matches the reference through real subgroup matrices where the adapter offers them', async (ctx) => {
    const features = webgpuFeatures();
    const config = f16SubgroupMatrixConfig(features);
    if (config === null) {
      ctx.skip(
        `this adapter offers no f16→f32 subgroup-matrix configuration (chromium-experimental-subgroup-matrix ${features.hasSubgroupMatrix ? 'without one' : 'missing'}); the emulated lowering ran above`,
      );
    }
    await expectParity('subgroup-matrix', chooseMmaGemmTiling(config!, features.subgroupMaxSize, features.maxComputeWorkgroupStorageSize), 3000);
  });
});
