export { escapeMarkup } from './escape-markup';
export { reportToJson, type EvaluationReport } from './evaluation-report';
export { renderHtmlReport, renderSteeringCurves } from './html-report';
export { writeEvaluationReport } from './write-report';
export * from './svg';
