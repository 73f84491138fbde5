export { countSyllables } from './count-syllables';
export {
  countSentences,
  fleschKincaidGrade,
  splitWords,
  summarizeTextStatistics,
  textStatistics,
  type TextStatistics,
  type TextStatisticsSummary,
} from './text-statistics';
