import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InlineConfig, Reporter, TestModule, Vitest } from 'vitest/node';

const packages = ['core', 'attribute-regressor', 'sft', 'bootstrap', 'evaluators', 'cli', 'test-server'];

const source = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/** The subpath exports other than core's (package.json "exports", tsup entries) and their source files. */
const subpaths: [subpath: string, file: string][] = [
  ['attribute-regressor/node', 'attribute-regressor/src/node.ts'],
  ['bootstrap/node', 'bootstrap/src/node.ts'],
  ['evaluators/node', 'evaluators/src/node.ts'],
  ['sft/kernels', 'sft/src/kernels/index.ts'],
  ['sft/io', 'sft/src/io/index.ts'],
  ['sft/trainer', 'sft/src/trainer/index.ts'],
  ['test-server/browser-bundle', 'test-server/src/browser-bundle.ts'],
];

/**
 * Resolve every @steerlm/* import to its TypeScript source, so tests need no prior build. Tests run in
 * Node, so `@steerlm/core` and `@steerlm/attribute-regressor` are their Node entries (files readable),
 * as the `node` export condition gives.
 * Exact matches: `@steerlm/core/node` and `@steerlm/sft/kernels` are their own entries, not paths below
 * `@steerlm/core` and `@steerlm/sft`.
 */
export const steerlmAliases: { find: RegExp; replacement: string }[] = [
  { find: /^@steerlm\/core\/node$/, replacement: source('core/src/node.ts') },
  { find: /^@steerlm\/core$/, replacement: source('core/src/index.node.ts') },
  { find: /^@steerlm\/attribute-regressor$/, replacement: source('attribute-regressor/src/index.node.ts') },
  ...subpaths.map(([subpath, file]) => ({ find: new RegExp(`^@steerlm/${subpath}$`), replacement: source(file) })),
  ...packages
    .filter((name) => name !== 'core' && name !== 'attribute-regressor')
    .map((name) => ({ find: new RegExp(`^@steerlm/${name}$`), replacement: source(`${name}/src/index.ts`) })),
];

const repositoryRoot = fileURLToPath(new URL('.', import.meta.url));

const UNREASONED = 'skipped by a .skip/.runIf/.skipIf condition (see the test or its describe name)';

/** One skipped test as the summary prints it. */
export interface SkippedTest {
  readonly file: string;
  readonly name: string;
  readonly reason: string;
}

/** Returns the skipped tests of a run, with the reason each gave (`ctx.skip(reason)`) or how it was skipped. */
export function collectSkippedTests(modules: ReadonlyArray<TestModule>): SkippedTest[] {
  const skipped: SkippedTest[] = [];
  for (const module of modules) {
    for (const test of module.children.allTests('skipped')) {
      const result = test.result();
      const note = result.state === 'skipped' ? result.note : undefined;
      const reason = note ?? (test.options.mode === 'todo' ? 'todo' : UNREASONED);
      skipped.push({ file: relative(repositoryRoot, module.moduleId), name: test.fullName, reason });
    }
  }
  return skipped;
}

/** Returns the summary text: skipped tests grouped by file and reason, at most `perGroup` names each. */
export function formatSkippedTests(skipped: readonly SkippedTest[], perGroup = 3): string {
  if (skipped.length === 0) return '';
  const groups = new Map<string, SkippedTest[]>();
  for (const test of skipped) {
    const key = `${test.file}\u0000${test.reason}`;
    const group = groups.get(key) ?? [];
    group.push(test);
    groups.set(key, group);
  }
  const lines = [`Skipped tests: ${skipped.length}`];
  for (const group of groups.values()) {
    const first = group[0]!;
    lines.push(`  ${first.file} (${group.length}): ${first.reason}`);
    for (const test of group.slice(0, perGroup)) lines.push(`    - ${test.name}`);
    if (group.length > perGroup) lines.push(`    … and ${group.length - perGroup} more`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Prints, after the run, every skipped test with its reason, so that a CI log shows what did not run
 * (a green run that skipped the WebGPU kernels, the browser test or the process test says so).
 */
export class SkippedTestsReporter implements Reporter {
  private filtered = false;

  onInit(vitest: Vitest): void {
    // With -t, vitest marks every test outside the filter as skipped: list only those that gave a reason.
    this.filtered = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped = collectSkippedTests(modules).filter((test) => !this.filtered || test.reason !== UNREASONED);
    const text = formatSkippedTests(skipped);
    if (text !== '') process.stdout.write(`\n${text}`);
    const missingWebGPU = skipped.filter(skippedForLackOfWebGPU);
    if (process.env.CI === 'true' && missingWebGPU.length > 0) {
      process.stdout.write(
        `\nFAIL: ${missingWebGPU.length} WebGPU test(s) skipped on CI, where the adapter (lavapipe, scripts/install-test-deps.sh) must exist:\n` +
          missingWebGPU.map((test) => `  - ${test.file}: ${test.name} (${test.reason})\n`).join(''),
      );
      process.exitCode = 1;
    }
  }
}

/**
 * Returns true when a test was skipped because no WebGPU adapter was found (its reason says so, or a
 * WebGPU test gave no reason). Skips for one missing optional feature (subgroup matrices on lavapipe)
 * state that feature and are allowed.
 */
export function skippedForLackOfWebGPU(test: SkippedTest): boolean {
  if (/no (webgpu )?adapter|webgpu is not available/i.test(test.reason)) return true;
  return test.reason === UNREASONED && /webgpu/i.test(`${test.file} ${test.name}`);
}

/**
 * Test options every package shares (spread into each vitest.config.ts `test`):
 * - `expect.requireAssertions`: a test that makes no assertion fails, so an early exit cannot pass silently
 *   (a test that cannot run calls `ctx.skip('reason')` instead);
 * - the default reporter plus the skipped-tests summary.
 */
export const sharedTestOptions: Pick<InlineConfig, 'expect' | 'reporters'> = {
  expect: { requireAssertions: true },
  reporters: ['default', new SkippedTestsReporter()],
};
