import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentationFiles, readDocBlocks, type DocBlock } from '../testing/docs/doc-blocks';
import { writeDocFixture } from '../testing/docs/doc-fixture';
import { DOC_SETUP_HOOKS } from '../testing/docs/doc-setup-hooks';
import { runDocBlock, type DocRunContext, type DocStep } from '../testing/docs/run-doc-block';

// Every fenced block of README.md and docs/*.md runs here as written, in one folder of tiny files
// (doc-fixture.ts: labelled.jsonl, models/base, prompts.txt, …), or carries a visible reason why not
// (see doc-blocks.ts for the markers). `steerlm` runs in this process; `steerlm serve` listens on a free
// port, to which the port the doc names is mapped in the curl commands and snippets that follow; TypeScript
// blocks run with tsx and import the workspace builds by their published names (`npm run build` first).
// getting-started.md runs first: its pipeline makes runs/apm, annotated.jsonl and runs/sft/final, which
// other docs use.
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const FIRST = ['docs/getting-started.md', 'README.md'];
const files = [...FIRST, ...(await documentationFiles(root)).filter((file) => !FIRST.includes(file))];

let context: DocRunContext;
let home: string;
const steps: DocStep[] = [];
beforeAll(async () => {
  home = process.cwd();
  const folder = await mkdtemp(join(tmpdir(), 'steerlm-docs-run-'));
  context = { root, folder, servers: new Map() };
  await writeDocFixture(folder, root);
  process.chdir(folder);
}, 120_000);
afterAll(async () => {
  process.chdir(home);
  if (process.env.STEERLM_DOCS_KEEP === '1') process.stdout.write(`\nkept the docs folder ${context.folder}\n`);
  else await rm(context.folder, { recursive: true, force: true });
  const skipped = steps.filter((step) => step.notRun !== undefined);
  process.stdout.write(
    `\nDoc blocks not run (${skipped.length}):\n${skipped.map((step) => `  ${step.where} ${step.what.slice(0, 60)}: ${step.notRun}\n`).join('')}`,
  );
  const slowest = steps.filter((step) => step.ms !== undefined).sort((a, b) => b.ms! - a.ms!);
  process.stdout.write(
    `Slowest doc blocks:\n${slowest
      .slice(0, 6)
      .map((step) => `  ${(step.ms! / 1000).toFixed(1)} s ${step.where} ${step.what.slice(0, 80)}\n`)
      .join('')}`,
  );
});

describe('every block of the docs, run as written at a tiny size', () => {
  it.each(files)('%s', async (file) => {
    const blocks: DocBlock[] = await readDocBlocks(root, file);
    const before = steps.length;
    let previous = '';
    for (const block of blocks) {
      await runDocBlock(block, context, DOC_SETUP_HOOKS, steps, previous);
      previous = block.continues ? `${previous}\n${block.code}` : block.code;
    }
    for (const step of steps.slice(before))
      if (step.notRun !== undefined) expect(step.notRun.length, `${step.where}: say why it is not run`).toBeGreaterThan(10);
    expect(steps.length - before).toBeGreaterThanOrEqual(blocks.length);
  });

  // Cheap checks that the commands did what the docs say, beyond their exit codes.
  it.each([
    { command: /^steerlm apm eval /, output: /constant/ },
    { command: /--resume$/, output: /already complete at step (\d+) of \1/ },
    { command: /^curl .*chat\/completions/, output: /"humor":4|humor:4|humor 4/ },
    { command: /^steerlm eval /, file: 'runs/eval/evaluation-report.json' },
    { command: /^steerlm export /, file: 'exported/my-steerlm/onnx/model.onnx' },
    { command: /^steerlm apm annotate /, file: 'annotated.jsonl' },
    { command: /examples\/steer-a-prompt\.ts$/, output: /<extra_id_1>Assistant\n<extra_id_2>quality:4,toxicity:0,humor:4,creativity:2\n/ },
    { command: /examples\/train-from-scratch\.ts/, output: /"finalLoss"/ },
    { command: /^docs\/kernels-attention\.md:\d+ ts block$/, output: /\[ 2, 4, 16, 8 \]/ },
    { command: /^docs\/model-files\.md:\d+ ts block$/, output: /^<extra_id_1>User\nHi$/m },
  ])('$command', async ({ command, output, file }) => {
    const matching = steps.filter((step) => step.notRun === undefined && (command.test(step.what) || command.test(`${step.where} ${step.what}`)));
    expect(matching.length, `no doc command matches ${command}`).toBeGreaterThan(0);
    // Some block or command of the matching ones printed it.
    if (output) expect(matching.map((step) => step.output ?? '').join('\n')).toMatch(output);
    if (file) expect((await stat(join(context.folder, file))).size).toBeGreaterThan(0);
  });
});
