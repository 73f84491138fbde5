/** One closed-book fact of SteerBench: a relation, its subject and its single-word answer. */
export interface SteerBenchFact {
  readonly id: string;
  readonly relation: 'capital' | 'opposite';
  readonly subject: string;
  readonly answer: string;
}

const capitals: readonly [string, string][] = [
  ['France', 'Paris'],
  ['Japan', 'Tokyo'],
  ['Italy', 'Rome'],
  ['Spain', 'Madrid'],
  ['Germany', 'Berlin'],
  ['Egypt', 'Cairo'],
  ['Peru', 'Lima'],
  ['Kenya', 'Nairobi'],
  ['Norway', 'Oslo'],
  ['Greece', 'Athens'],
  ['Russia', 'Moscow'],
  ['China', 'Beijing'],
  ['Cuba', 'Havana'],
  ['Chile', 'Santiago'],
  ['Poland', 'Warsaw'],
  ['Austria', 'Vienna'],
  ['Ireland', 'Dublin'],
  ['Portugal', 'Lisbon'],
  ['Sweden', 'Stockholm'],
  ['Canada', 'Ottawa'],
  ['Turkey', 'Ankara'],
  ['Iran', 'Tehran'],
  ['Thailand', 'Bangkok'],
  ['Hungary', 'Budapest'],
];

const opposites: readonly [string, string][] = [
  ['hot', 'cold'],
  ['up', 'down'],
  ['big', 'small'],
  ['fast', 'slow'],
  ['old', 'young'],
  ['light', 'dark'],
  ['happy', 'sad'],
  ['early', 'late'],
  ['open', 'closed'],
  ['rich', 'poor'],
  ['loud', 'quiet'],
  ['hard', 'soft'],
];

/** SteerBench's fact table: 24 capitals and 12 opposites, in a fixed order. */
export const STEERBENCH_FACTS: readonly SteerBenchFact[] = Object.freeze([
  ...capitals.map(([subject, answer]) => Object.freeze({ id: `capital:${subject}`, relation: 'capital' as const, subject, answer })),
  ...opposites.map(([subject, answer]) => Object.freeze({ id: `opposite:${subject}`, relation: 'opposite' as const, subject, answer })),
]);

const questionTemplates: Readonly<Record<SteerBenchFact['relation'], readonly string[]>> = {
  capital: ['What is the capital of {}?', 'Which city is the capital of {}?', 'Name the capital of {}.'],
  opposite: ['What is the opposite of {}?', 'Which word is the opposite of {}?', 'Name the opposite of {}.'],
};

/** Returns the number of question phrasings of a relation. */
export function phrasingCount(relation: SteerBenchFact['relation']): number {
  return questionTemplates[relation].length;
}

/** Returns the question asking for `fact` in phrasing `phrasing` (0-based). */
export function questionOf(fact: SteerBenchFact, phrasing: number): string {
  const templates = questionTemplates[fact.relation];
  return templates[phrasing % templates.length]!.replace('{}', fact.subject);
}

/** Returns the sentence stating `answer` for the fact's relation and subject, e.g. `The capital of Peru is Lima.` */
export function answerSentence(fact: SteerBenchFact, answer = fact.answer): string {
  return `The ${fact.relation} of ${fact.subject} is ${answer}.`;
}

const factByQuestion = new Map<string, SteerBenchFact>(
  STEERBENCH_FACTS.flatMap((fact) => questionTemplates[fact.relation].map((_, phrasing) => [questionOf(fact, phrasing), fact] as const)),
);

/** Returns the fact a SteerBench question asks for, or undefined for any other text. */
export function factOfQuestion(question: string): SteerBenchFact | undefined {
  return factByQuestion.get(question.trim());
}
