/**
 * Evaluate how well a SteerLM model follows requested attribute values, judge its answers with an
 * LLM, and write a JSON and a self-contained HTML report.
 *
 *   npx tsx examples/evaluate-steering.ts --base-url http://localhost:8000/v1 --model my-steerlm \
 *     --judge-base-url http://localhost:8001/v1 --judge-model my-judge --out ./evaluation
 *
 * The model is any OpenAI-compatible /v1/completions server (vLLM, TGI, llama.cpp, `steerlm serve`)
 * serving a model fine-tuned with SteerLM's template. Verbosity is measured exactly (word count), so
 * no attribute model is needed; pass any AttributeScorer (e.g. an AttributePredictor) to sweep others.
 */
import { parseArgs } from 'node:util';
import { createOpenAICompatibleChat, createOpenAICompatibleModel, HELPSTEER, type ProgressEvent } from '@steerlm/core';
import {
  compareAnswerPairs,
  createGroundTruthScorer,
  eloRatings,
  evaluateAttributeAdherence,
  fleissKappa,
  gradeAnswers,
  ratingsToCounts,
  scoreAgainstBaseline,
  summarizeGrades,
  summarizePairwise,
  summarizeTextStatistics,
  textStatisticMeasure,
  type EvaluationReport,
  type PairwiseItem,
} from '@steerlm/evaluators';
import { writeEvaluationReport } from '@steerlm/evaluators/node';

const { values: args } = parseArgs({
  options: {
    'base-url': { type: 'string', default: 'http://localhost:8000/v1' },
    model: { type: 'string', default: 'steerlm' },
    'judge-base-url': { type: 'string' },
    'judge-model': { type: 'string' },
    prompts: { type: 'string', default: '8' },
    samples: { type: 'string', default: '1' },
    'max-tokens': { type: 'string', default: '512' },
    temperature: { type: 'string', default: '0.7' },
    orderings: { type: 'string', default: '10000' },
    'bootstrap-rounds': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'evaluation' },
  },
});

const questions = [
  'Explain why the sky is blue.',
  'How do I keep basil alive indoors?',
  'What is a hash table?',
  'Give me advice for a first marathon.',
  'Why do cats purr?',
  'How does compound interest work?',
  'What causes the seasons on Earth?',
  'How should I prepare for a job interview?',
].slice(0, Number(args.prompts));
const seed = Number(args.seed);
const log = (event: ProgressEvent) => {
  if (event.type === 'job-end') console.error(`${event.job}: done in ${(event.elapsedMs / 1000).toFixed(1)} s`);
};

// 1. Attribute adherence: sweep verbosity 0..4 (other HelpSteer attributes at their defaults) and
//    measure each response's verbosity from its word count.
const model = createOpenAICompatibleModel({ baseURL: args['base-url']!, model: args.model! });
const scorer = createGroundTruthScorer({ schema: HELPSTEER, measures: { verbosity: textStatisticMeasure('words', [10, 30, 80, 160]) } });
const adherence = await evaluateAttributeAdherence({
  model,
  scorer,
  schema: HELPSTEER,
  prompts: questions,
  grid: ['verbosity'],
  samples: Number(args.samples),
  generate: { temperature: Number(args.temperature), topP: 0.9, maxTokens: Number(args['max-tokens']), seed },
  concurrency: 4,
  onProgress: log,
});

// Responses grouped by requested verbosity, for text statistics and the judge.
const levels = adherence.grid[0]!.values;
const answersAt = (level: number) =>
  questions.map(
    (_, prompt) => adherence.samples.find((sample) => sample.prompt === prompt && sample.requested.verbosity === level && sample.sample === 0)!.response,
  );
const textStatistics = Object.fromEntries(levels.map((level) => [`verbosity:${level}`, summarizeTextStatistics(answersAt(level))]));

let report: EvaluationReport = {
  title: `Steering evaluation of ${args.model}`,
  createdAt: new Date().toISOString(),
  metadata: { model: args.model!, baseURL: args['base-url']!, prompts: questions.length, seed },
  adherence,
  textStatistics,
};

// 2. LLM-as-judge (optional): grade every level's answers, compare levels pairwise in both orders,
//    rank them with Elo, and check how often the judge's two orders agree (Fleiss' κ).
if (args['judge-base-url']) {
  const judgeModel = args['judge-model'] ?? 'judge';
  const judge = createOpenAICompatibleChat({ baseURL: args['judge-base-url'], model: judgeModel, concurrency: 4 });
  const chat = (messages: Parameters<typeof judge.chat>[0]) => judge.chat(messages, { temperature: 0, maxTokens: 1024 });

  const grades = await gradeAnswers(
    levels.flatMap((level) =>
      answersAt(level).map((answer, index) => ({ id: String(index), model: `verbosity:${level}`, question: questions[index]!, answer })),
    ),
    { chat, onProgress: log },
  );
  const lowest = levels[0]!;
  const highest = levels[levels.length - 1]!;
  const baseline = await scoreAgainstBaseline(
    {
      questions,
      candidate: { model: `verbosity:${highest}`, answers: answersAt(highest) },
      baseline: { model: `verbosity:${lowest}`, answers: answersAt(lowest) },
    },
    { chat },
  );

  const pairs: PairwiseItem[] = [];
  levels.forEach((first, position) =>
    levels.slice(position + 1).forEach((second) =>
      questions.forEach((question, index) => {
        // Alternate which level is "A", so the labels carry no information of their own.
        const [left, right] = index % 2 === 0 ? [first, second] : [second, first];
        pairs.push({
          id: `${index}`,
          question,
          modelA: `verbosity:${left}`,
          answerA: answersAt(left)[index]!,
          modelB: `verbosity:${right}`,
          answerB: answersAt(right)[index]!,
        });
      }),
    ),
  );
  const pairwise = await compareAnswerPairs(pairs, { chat, onProgress: log });
  const summary = summarizePairwise(pairwise);
  const parsed = pairwise.filter((result) => !result.unparseable);
  const { counts } = ratingsToCounts(
    parsed.map((result) => result.orders.map((order) => order.winner!)),
    ['A', 'B', 'tie'],
  );

  report = {
    ...report,
    metadata: { ...report.metadata, judge: judgeModel },
    grading: { judge: judgeModel, summaries: summarizeGrades(grades), results: grades },
    baseline,
    pairwise: { judge: judgeModel, summary, results: pairwise },
    ...(summary.battles.length > 0
      ? { elo: eloRatings(summary.battles, { orderings: Number(args.orderings), bootstrapRounds: Number(args['bootstrap-rounds']), seed }) }
      : {}),
    ...(counts.length > 0
      ? { agreement: { ...fleissKappa(counts), description: "Agreement between the judge's two answer orders (raters) on each comparison." } }
      : {}),
  };
}

const { jsonPath, htmlPath } = await writeEvaluationReport(report, args.out!);
for (const entry of adherence.attributes) {
  console.log(`${entry.attribute}: MAE ${entry.meanAbsoluteError.toFixed(3)}, Spearman ${entry.spearman?.toFixed(3) ?? 'n/a'}`);
}
console.log(`report: ${htmlPath}\ndata: ${jsonPath}`);
