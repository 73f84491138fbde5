/** Explicit choice of the matmul variant from the device's features and the precision asked for. */
import { BackendError } from '@steerlm/core';
import { currentDevice, type DeviceFeatures, type SubgroupMatrixConfig } from '../../backend';
import { deviceSelfTestResult, type DeviceSelfTestReport } from '../../backend/device-self-tests';
import type { MatmulVariant } from './matmul.wgsl';

/** The name of the subgroup-matrix GEMM self-test (matmul-self-test.ts) in the backend report. */
export const SUBGROUP_MATRIX_SELF_TEST = 'subgroup-matrix GEMM';

/** Returns the subgroup-matrix self-test report of the current device (undefined before it ran or without a device). */
export function currentSubgroupMatrixSelfTest(): DeviceSelfTestReport | undefined {
  const device = currentDevice()?.device;
  return device === undefined ? undefined : deviceSelfTestResult(device, SUBGROUP_MATRIX_SELF_TEST);
}

/** Returns the adapter's subgroup-matrix configuration with f16 operands and an f32 result, if any. */
export function f16SubgroupMatrixConfig(features: DeviceFeatures): SubgroupMatrixConfig | null {
  if (!features.hasSubgroupMatrix) return null;
  return features.subgroupMatrixConfigs.find((config) => config.componentType === 'f16' && config.resultComponentType === 'f32') ?? null;
}

/**
 * Returns why `variant` cannot run on a device with `features`, or null when it can. For
 * 'subgroup-matrix-f16', `selfTest` (default: the current device's report) must not have failed.
 */
export function matmulVariantUnsupported(
  variant: MatmulVariant,
  features: DeviceFeatures,
  selfTest: DeviceSelfTestReport | null | undefined = currentSubgroupMatrixSelfTest(),
): string | null {
  switch (variant) {
    case 'tiled-f32':
      return null;
    case 'tiled-f16':
      return features.hasF16 ? null : 'the device lacks shader-f16';
    case 'subgroup-matrix-f16':
      if (!features.hasF16) return 'the device lacks shader-f16';
      if (!features.hasSubgroups || features.subgroupMaxSize === 0) return 'the device lacks subgroups';
      if (f16SubgroupMatrixConfig(features) === null) return 'the device offers no f16→f32 subgroup-matrix configuration';
      if (selfTest?.status === 'failed') return `it was switched off on this device: its self-test failed (${selfTest.detail})`;
      return null;
  }
}

/**
 * Returns the fastest variant for `precision`: 'f32' always gives 'tiled-f32'; 'f16' (f16 inputs,
 * f32 accumulation) gives 'subgroup-matrix-f16' when offered and its self-test on the device passed
 * (`selfTest`, default: the current device's report), else 'tiled-f16', else 'tiled-f32'.
 */
export function chooseMatmulVariant(
  features: DeviceFeatures,
  precision: 'f32' | 'f16' = 'f32',
  selfTest: DeviceSelfTestReport | null | undefined = currentSubgroupMatrixSelfTest(),
): MatmulVariant {
  if (precision === 'f32') return 'tiled-f32';
  if (selfTest?.status === 'passed' && matmulVariantUnsupported('subgroup-matrix-f16', features, selfTest) === null) return 'subgroup-matrix-f16';
  if (matmulVariantUnsupported('tiled-f16', features) === null) return 'tiled-f16';
  return 'tiled-f32';
}

/** Returns nothing; throws BackendError when `variant` cannot run on a device with `features`. */
export function assertMatmulVariant(variant: MatmulVariant, features: DeviceFeatures): void {
  const reason = matmulVariantUnsupported(variant, features);
  if (reason !== null) {
    throw new BackendError(`matmul variant "${variant}" cannot run here: ${reason}`, {
      backend: 'webgpu',
      hint: 'use chooseMatmulVariant(webgpuFeatures(), precision) to pick one the device supports',
    });
  }
}
