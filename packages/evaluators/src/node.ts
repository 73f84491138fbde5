// `@steerlm/evaluators/node`: the evaluators' file output for Node. The root entry is browser-safe.
export { writeEvaluationReport } from './report/write-report';
