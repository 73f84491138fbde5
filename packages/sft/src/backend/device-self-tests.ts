/**
 * Self-tests run the first time a WebGPU device is used (by selectBackend): a kernel variant that CI
 * never compiles (subgroup matrices, say) is checked against a trusted one on a small problem, and
 * switched off when they disagree, so it can never give a user wrong numbers. Kernel modules register
 * their tests; results are kept per device and named in the backend report.
 */
import type { DeviceFeatures } from './device-features';

/** The outcome of one self-test on one device. */
export interface DeviceSelfTestReport {
  name: string;
  /** 'passed': the variant may be chosen; 'failed': switched off; 'not-applicable': the device lacks what it needs. */
  status: 'passed' | 'failed' | 'not-applicable';
  /** In words: what was compared and how far apart, or why it did not run. */
  detail: string;
}

/** A registered self-test. */
export interface DeviceSelfTest {
  name: string;
  /** Returns why the test does not apply to a device with `features`, or null when it does. */
  notApplicable(features: DeviceFeatures): string | null;
  /** Runs on the active webgpu backend; resolves to passed or failed with the detail. */
  run(): Promise<{ passed: boolean; detail: string }>;
}

const registered = new Map<string, DeviceSelfTest>();
const results = new WeakMap<GPUDevice, Map<string, DeviceSelfTestReport>>();

/** Registers (or replaces) a self-test under its name. */
export function registerDeviceSelfTest(test: DeviceSelfTest): void {
  registered.set(test.name, test);
}

/** Returns the reports of every registered self-test on `device`, running each once per device (an error counts as failed). */
export async function runDeviceSelfTests(device: GPUDevice, features: DeviceFeatures): Promise<DeviceSelfTestReport[]> {
  let done = results.get(device);
  if (done === undefined) {
    done = new Map();
    results.set(device, done);
  }
  for (const test of registered.values()) {
    if (done.has(test.name)) continue;
    const reason = test.notApplicable(features);
    if (reason !== null) {
      done.set(test.name, { name: test.name, status: 'not-applicable', detail: reason });
      continue;
    }
    try {
      const outcome = await test.run();
      done.set(test.name, { name: test.name, status: outcome.passed ? 'passed' : 'failed', detail: outcome.detail });
    } catch (error) {
      done.set(test.name, { name: test.name, status: 'failed', detail: `it threw: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return [...done.values()];
}

/** Returns the report of self-test `name` on `device`, or undefined when it has not run there. */
export function deviceSelfTestResult(device: GPUDevice, name: string): DeviceSelfTestReport | undefined {
  return results.get(device)?.get(name);
}

/** Returns the reports in words for the backend report, e.g. "subgroup-matrix GEMM self-test failed (…): switched off". */
export function describeSelfTests(reports: readonly DeviceSelfTestReport[]): string {
  return reports
    .map((report) =>
      report.status === 'passed'
        ? `${report.name} self-test passed (${report.detail})`
        : report.status === 'failed'
          ? `${report.name} self-test FAILED (${report.detail}): switched off`
          : `${report.name} self-test not run (${report.detail})`,
    )
    .join('; ');
}
