/**
 * What a WebGPU device can do, in the terms kernels choose variants by: f16 arithmetic,
 * subgroups (and their sizes), cooperative subgroup matrices (and their shapes), limits.
 */

/** One subgroup-matrix configuration the adapter offers (Chromium experimental feature). */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/** The features and limits of the selected WebGPU device that kernels consult. */
export interface DeviceFeatures {
  /** `shader-f16`: WGSL `enable f16;` compiles. */
  hasF16: boolean;
  /** `subgroups`: WGSL `enable subgroups;` compiles. */
  hasSubgroups: boolean;
  /** `chromium-experimental-subgroup-matrix` enabled on the device. */
  hasSubgroupMatrix: boolean;
  /** Smallest and largest subgroup size (0 when unknown or no subgroups). */
  subgroupMinSize: number;
  subgroupMaxSize: number;
  /** Subgroup-matrix shapes (empty without the feature). */
  subgroupMatrixConfigs: SubgroupMatrixConfig[];
  /** Every feature name enabled on the device. */
  featureNames: string[];
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** Adapter identity as reported by WebGPU (strings may be empty). */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /**
   * True for a software or fallback adapter (lavapipe/llvmpipe, SwiftShader, WARP, or one the
   * implementation flags with isFallbackAdapter): far slower than tfjs wasm on the same CPU.
   */
  software: boolean;
}

/** Subset of GPUAdapterInfo read here; subgroup fields are newer than some type packages. */
interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  subgroupMatrixConfigs?: ReadonlyArray<Partial<SubgroupMatrixConfig>>;
  isFallbackAdapter?: boolean;
}

/** Names in adapter strings that mark a CPU implementation of WebGPU. */
const SOFTWARE_ADAPTER_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|\bwarp\b/i;

/**
 * Returns the vendor/architecture/device/description strings of an adapter info object, and whether
 * it is a software adapter (`isFallbackAdapter` from the adapter or its info, a `software`
 * architecture as Dawn reports for lavapipe, or a known software renderer's name).
 */
export function describeAdapter(info: unknown, isFallbackAdapter = false): AdapterDescription {
  const source = (info ?? {}) as AdapterInfoLike;
  const vendor = source.vendor ?? '';
  const architecture = source.architecture ?? '';
  const device = source.device ?? '';
  const description = source.description ?? '';
  const software =
    isFallbackAdapter ||
    source.isFallbackAdapter === true ||
    architecture.toLowerCase() === 'software' ||
    SOFTWARE_ADAPTER_NAMES.test([vendor, architecture, device, description].join(' '));
  return { vendor, architecture, device, description, software };
}

/** Returns the kernel-relevant features and limits of `device` (adapter info supplies subgroup data). */
export function readDeviceFeatures(device: GPUDevice, adapterInfo?: unknown): DeviceFeatures {
  const featureNames = [...(device.features as ReadonlySet<string>)].sort();
  const has = (name: string): boolean => featureNames.includes(name);
  const info = (adapterInfo ?? (device as GPUDevice & { adapterInfo?: unknown }).adapterInfo ?? {}) as AdapterInfoLike;
  const hasSubgroups = has('subgroups');
  const hasSubgroupMatrix = has('chromium-experimental-subgroup-matrix');
  const configs = hasSubgroupMatrix ? [...(info.subgroupMatrixConfigs ?? [])] : [];
  return {
    hasF16: has('shader-f16'),
    hasSubgroups,
    hasSubgroupMatrix,
    subgroupMinSize: hasSubgroups ? (info.subgroupMinSize ?? 0) : 0,
    subgroupMaxSize: hasSubgroups ? (info.subgroupMaxSize ?? 0) : 0,
    subgroupMatrixConfigs: configs.map((config) => ({
      componentType: String(config.componentType ?? ''),
      resultComponentType: String(config.resultComponentType ?? ''),
      M: Number(config.M ?? 0),
      N: Number(config.N ?? 0),
      K: Number(config.K ?? 0),
    })),
    featureNames,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
    maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
  };
}
