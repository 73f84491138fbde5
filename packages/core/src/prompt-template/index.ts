export { DEFAULT_SYSTEM_PROMPT, type Conversation, type ConversationTurn, type LabelPlacement, type Role } from './conversation';
export type { ParseOptions, PromptTemplate, RenderOptions } from './prompt-template';
export { steerlmTemplate } from './steerlm-template';
export { chatmlTemplate } from './chatml-template';
export { conditionPrompt, type ConditionPromptOptions } from './condition-prompt';
export { parseConversation, renderConversation } from './parse-conversation';
