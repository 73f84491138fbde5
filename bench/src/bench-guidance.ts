/**
 * Attribute guidance on SteerBench: the steering curve and Spearman(requested, measured) of each swept
 * attribute at each guidance scale, for a conditioned model (by default the demo's,
 * runs/steerbench-demo/conditioned-sft). Each attribute is swept over 0..4 with the others at the schema
 * defaults; responses are measured by the SteerBench ground-truth scorer. Not a timed test.
 * Usage: npm run bench:guidance -- [--model DIR] [--scales 1,1.5,2,3] [--attributes humor,toxicity,verbosity]
 *        [--prompts 6] [--facts 8] [--max-tokens 96] [--temperature 1] [--seed 0] [--neutral unlabelled|default] [--backend wasm]
 * `--facts` is the number of SteerBench facts the model was trained on (the demo's default, 8).
 * `--neutral default` guides against the same label with the swept attribute at its default value instead
 * of the unlabelled prompt. The last line printed is one JSON object.
 */
import { parseArgs } from 'node:util';
import { loadLanguageModel } from '@steerlm/cli';
import { createSteerBenchScorer, evaluateAttributeAdherence, STEERBENCH_SCHEMA, STEERBENCH_SYSTEM_PROMPT, steerBenchPrompts } from '@steerlm/evaluators';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'runs/steerbench-demo/conditioned-sft' },
    scales: { type: 'string', default: '1,1.5,2,3' },
    attributes: { type: 'string', default: 'humor,toxicity,verbosity' },
    prompts: { type: 'string', default: '6' },
    facts: { type: 'string', default: '8' },
    'max-tokens': { type: 'string', default: '96' },
    temperature: { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    neutral: { type: 'string', default: 'unlabelled' },
    backend: { type: 'string', default: 'wasm' },
  },
});

const scales = values.scales.split(',').map(Number);
const attributes = values.attributes.split(',');
const neutralKind = values.neutral;
if (neutralKind !== 'unlabelled' && neutralKind !== 'default') throw new Error(`--neutral is unlabelled or default, got ${neutralKind}`);
const prompts = steerBenchPrompts({ count: Number(values.prompts), seed: Number(values.seed), facts: Number(values.facts) }).map((prompt) => ({
  system: STEERBENCH_SYSTEM_PROMPT,
  turns: [{ role: 'user' as const, text: prompt.question }],
}));
const loaded = await loadLanguageModel(values.model, { backend: values.backend });
const scorer = createSteerBenchScorer();
const defaults = STEERBENCH_SCHEMA.defaults();
console.log(`model ${loaded.model.modelId} (${values.model}) · backend ${loaded.backend} · ${prompts.length} prompts · neutral ${neutralKind}`);

const results: { scale: number; attribute: string; spearman: number | null; curve: number[]; requested: number[]; mae: number; seconds: number }[] = [];
for (const scale of scales) {
  for (const attribute of attributes) {
    const started = performance.now();
    const neutral = neutralKind === 'default' ? { neutral: { [attribute]: defaults[attribute]! } } : {};
    const result = await evaluateAttributeAdherence({
      model: loaded.model,
      scorer,
      schema: STEERBENCH_SCHEMA,
      prompts,
      grid: { [attribute]: [0, 1, 2, 3, 4] },
      generate: { maxTokens: Number(values['max-tokens']), temperature: Number(values.temperature), seed: Number(values.seed) },
      guidance: { scale, ...neutral },
    });
    const summary = result.attributes[0]!;
    const entry = {
      scale,
      attribute,
      spearman: summary.spearman,
      curve: summary.curve.map((point) => point.meanMeasured),
      requested: summary.curve.map((point) => point.requested),
      mae: summary.meanAbsoluteError,
      seconds: (performance.now() - started) / 1000,
    };
    results.push(entry);
    console.log(
      `s=${scale} ${attribute.padEnd(10)} spearman ${entry.spearman?.toFixed(3) ?? 'n/a'}  curve ${entry.curve.map((value) => value.toFixed(2)).join(' ')}  (${entry.seconds.toFixed(0)} s)`,
    );
  }
}
console.log(JSON.stringify({ benchmark: 'guidance-steerbench', model: values.model, neutral: neutralKind, prompts: prompts.length, results }));
