export { escapeMarkup } from './escape-markup';
export { reportToJson, type EvaluationReport } from './evaluation-report';
export { renderHtmlReport, renderSteeringCurves } from './html-report';
export * from './svg';
