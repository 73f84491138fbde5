export {
  evaluateAttributeAdherence,
  summarizeAdherence,
  type AdherenceOptions,
  type AdherencePrompt,
  type AdherenceResult,
  type AdherenceSample,
  type AttributeAdherence,
  type SteeringCurvePoint,
} from './attribute-adherence';
export { createGroundTruthScorer, levelOf, textStatisticMeasure, type AttributeMeasure } from './ground-truth-scorer';
