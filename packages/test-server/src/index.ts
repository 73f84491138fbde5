export { startTestServer, type TestServer, type TestServerOptions, type TestServerStats } from './test-server';
export { FaultController, type Fault, type ScheduledFault } from './fault-controller';
export { CharacterNGramModel, createCharacterNGramModel, type CharacterNGramModelOptions } from './character-ngram-model';
export { ScriptedModel, createScriptedModel, type ScriptedModelOptions, type ScriptedRule } from './scripted-model';
export { isScoringLanguageModel, type ScoringLanguageModel, type TokenLogProbability } from './scoring-model';
export { tokenizeCharacters, type TextToken } from './character-tokenizer';
export { sampleToken, validateSamplingSettings, type SamplingSettings } from './token-sampling';
export { startMockHub, type MockHub, type MockHubFault, type MockHubOptions, type MockHubRepoOptions, type MockHubRequest } from './mock-hub/mock-hub';
