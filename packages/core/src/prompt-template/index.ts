export { DEFAULT_SYSTEM_PROMPT, type Conversation, type ConversationTurn, type LabelPlacement, type Role } from './conversation';
export type { ParseOptions, PromptTemplate, RenderOptions, SegmentPart, TemplateSegment } from './prompt-template';
export { CHATML_TOKENS, STEERLM_TOKENS } from './special-tokens';
export { steerlmTemplate } from './steerlm-template';
export { chatmlTemplate } from './chatml-template';
export { conditionPrompt, type ConditionPromptOptions } from './condition-prompt';
export { parseConversation, renderConversation } from './parse-conversation';
export {
  guidedPrompts,
  interpolateAttributes,
  MAX_INTERPOLATED_ATTRIBUTES,
  MAX_MIX_PROMPTS,
  mixedPromptRows,
  validateGuidance,
  type AttributeGuidance,
  type GuidedPromptOptions,
  type GuidedPrompts,
  type WeightedAttributes,
} from './guided-prompts';
