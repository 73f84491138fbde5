export type { JsonlSource } from './byte-source';
export { asRecordError, type RecordLocation } from './record-location';
export { DEFAULT_MAX_LINE_BYTES, JsonlReader, readJsonl, REPORTED_ERRORS, type JsonlLine, type JsonlReport, type ReadJsonlOptions } from './jsonl-reader';
export { toJsonlChunks, toJsonlLine } from './jsonl-line';
export {
  conversationToNemoRecord,
  nemoRecordToConversation,
  readNemoRecords,
  validateNemoRecord,
  type NemoRecord,
  type NemoRecordOptions,
  type NemoSpeaker,
  type NemoTurn,
  type ReadNemoRecordsOptions,
} from './nemo-record';
export { readOasstMessages, validateOasstMessage, type OasstMessage } from './oasst-message';
export { groupOasstTrees, isGroupedByTree, resolveGrouping, type OasstGrouping, type OasstTree } from './oasst-trees';
export {
  buildOasstTree,
  oasstAttributes,
  NEMO_OASST_LABELS,
  type OasstLabelOptions,
  OasstReader,
  oasstTreeResponses,
  oasstTreeThreads,
  readOasstResponses,
  readOasstThreads,
  type OasstConversationOptions,
  type OasstNode,
  type OasstReport,
  type OasstResponse,
  type OasstThread,
  type OasstTreeStructure,
  type ReadOasstOptions,
} from './oasst-conversations';
export {
  HELPSTEER_TURN_SEPARATOR,
  helpSteerRowToConversation,
  readHelpSteerConversations,
  readHelpSteerRows,
  splitHelpSteerPrompt,
  validateHelpSteerRow,
  type HelpSteerRow,
  type HelpSteerConversationOptions,
} from './helpsteer';
export {
  conversationToRegressionRecords,
  readRegressionRecords,
  REGRESSION_LABEL_PREFIX,
  REGRESSION_MISSING,
  regressionLabelToAttributes,
  validateRegressionRecord,
  type RegressionOptions,
  type RegressionRecord,
} from './regression-record';
export { groupHash, partitionByGroup, splitByGroup, splitOfGroup, type GroupSplitOptions, type SplitByGroupOptions, type SplitName } from './split-by-group';
export { readSteerLM2Records, steerLM2ResponseConversation, validateSteerLM2Record, type SteerLM2Record, type SteerLM2Response } from './steerlm2-record';
