/**
 * A chat app that keeps its own conversation and asks a remote SteerLM endpoint for each answer: every
 * turn is rendered with `conditionPrompt` (earlier answers keep their attribute labels) and sent to an
 * OpenAI-compatible `/v1/completions`, e.g. `steerlm serve`, vLLM or NeMo. The answer streams in.
 *
 *   steerlm serve --model runs/sft/final &      # or: steerlm serve --model attribute-echo
 *   npx tsx examples/chat-app-remote.ts http://127.0.0.1:8000/v1
 */
import { conditionPrompt, createOpenAICompatibleModel, formatAttributes, STEERLM, type ConversationTurn } from '@steerlm/core';

const baseURL = process.argv[2] ?? process.env.STEERLM_BASE_URL ?? 'http://127.0.0.1:8000/v1';
const apiKey = process.env.STEERLM_API_KEY;

/** Returns the model to ask for: STEERLM_MODEL, or the first one the endpoint lists (GET /v1/models). */
async function servedModel(): Promise<string> {
  if (process.env.STEERLM_MODEL) return process.env.STEERLM_MODEL;
  const response = await fetch(`${baseURL}/models`, apiKey ? { headers: { authorization: `Bearer ${apiKey}` } } : {});
  const listed = (await response.json()) as { data?: { id: string }[] };
  const id = listed.data?.[0]?.id;
  if (!response.ok || id === undefined) throw new Error(`${baseURL}/models lists no model (HTTP ${response.status}); set STEERLM_MODEL`);
  return id;
}

const model = createOpenAICompatibleModel({
  baseURL,
  model: await servedModel(),
  ...(apiKey ? { apiKey } : {}),
});

// What the user types, and how each answer should come out (unset attributes keep the schema defaults).
const script: { user: string; steer: Record<string, number> }[] = [
  { user: 'Tell me a joke about cats.', steer: { humor: 4, toxicity: 0 } },
  { user: 'Now explain why cats purr, seriously.', steer: { humor: 0, verbosity: 3 } },
];

const turns: ConversationTurn[] = [];
for (const { user, steer } of script) {
  turns.push({ role: 'user', text: user });
  const attributes = { ...STEERLM.defaults(), ...steer };
  const prompt = conditionPrompt({ turns, attributes });
  process.stdout.write(`\nUser: ${user}\nAssistant [${formatAttributes(attributes, STEERLM)}]: `);
  let answer = '';
  for await (const piece of model.stream!(prompt, { maxTokens: 128, temperature: 0.7 })) {
    answer += piece;
    process.stdout.write(piece);
  }
  process.stdout.write('\n');
  // The answer joins the history with its label, exactly as SteerLM formats multi-turn conversations.
  turns.push({ role: 'assistant', text: answer.trim(), attributes });
}
