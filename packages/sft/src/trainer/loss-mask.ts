import {
  DEFAULT_SYSTEM_PROMPT,
  STEERLM,
  formatAttributes,
  type AttributeSchema,
  type Conversation,
  type Tokenizer,
} from '@steerlm/core';

/** A conversation as token ids with, per token, whether the model is trained to produce it. */
export interface TokenizedExample {
  ids: number[];
  /** trained[i]: token i is a loss target (predicted from tokens < i). */
  trained: boolean[];
  /** The label of each assistant turn, for per-attribute validation breakdowns. */
  labels: Record<string, number>[];
}

export interface LossMaskOptions {
  schema?: AttributeSchema;
  /** Train on every assistant turn (true, default) or only the last one. */
  multiTurn?: boolean;
  /** Longest sequence in tokens; longer examples are truncated. */
  maxSequenceLength?: number;
  /** Which end to cut when truncating (default 'right'). */
  truncationSide?: 'left' | 'right';
}

type Piece = { text: string; trained: boolean; turn: number; kind: 'header' | 'label' | 'response' | 'stop' | 'context' };

const TURN = '<extra_id_1>';

/**
 * Returns the pieces of a conversation in NeMo-Aligner's SteerLM SFT layout. Trained: each assistant
 * response (with its newline) and the `<extra_id_1>` that starts the next turn (a trailing one is
 * appended after the last assistant turn); masked: the system header, user turns, the
 * `<extra_id_1>Assistant\n` header and the `<extra_id_2>{label}\n` line.
 */
function pieces(conversation: Conversation, schema: AttributeSchema, multiTurn: boolean): Piece[] {
  const out: Piece[] = [{ text: `<extra_id_0>System\n${conversation.system ?? DEFAULT_SYSTEM_PROMPT}\n`, trained: false, turn: -1, kind: 'context' }];
  const lastAssistant = conversation.turns.map((turn) => turn.role).lastIndexOf('assistant');
  let previousTrained = false;
  conversation.turns.forEach((turn, index) => {
    out.push({ text: TURN, trained: previousTrained, turn: index - 1, kind: 'stop' });
    if (turn.role === 'user') {
      out.push({ text: `User\n${turn.text}\n`, trained: false, turn: index, kind: 'context' });
      previousTrained = false;
      return;
    }
    const train = multiTurn || index === lastAssistant;
    out.push({ text: 'Assistant\n', trained: false, turn: index, kind: 'header' });
    if (turn.attributes !== undefined) out.push({ text: `<extra_id_2>${formatAttributes(turn.attributes, schema)}\n`, trained: false, turn: index, kind: 'label' });
    out.push({ text: `${turn.text}\n`, trained: train, turn: index, kind: 'response' });
    previousTrained = train;
  });
  if (previousTrained) out.push({ text: TURN, trained: true, turn: conversation.turns.length - 1, kind: 'stop' });
  return out;
}

/**
 * Returns the token ids and loss mask of a VALUE_TO_TEXT conversation, NeMo-exact (see `pieces`).
 * Truncation that cuts into an assistant turn's label line masks that whole turn (its response would
 * be trained without its condition). Returns undefined when no trained token is left.
 */
export function tokenizeConversation(conversation: Conversation, tokenizer: Tokenizer, options: LossMaskOptions = {}): TokenizedExample | undefined {
  const schema = options.schema ?? STEERLM;
  const all = pieces(conversation, schema, options.multiTurn ?? true);
  let ids: number[] = [];
  let trained: boolean[] = [];
  let turnOf: number[] = [];
  let kindOf: Piece['kind'][] = [];
  for (const piece of all) {
    const pieceIds = tokenizer.encode(piece.text);
    ids = ids.concat(pieceIds);
    trained = trained.concat(pieceIds.map(() => piece.trained));
    turnOf = turnOf.concat(pieceIds.map(() => piece.turn));
    kindOf = kindOf.concat(pieceIds.map(() => piece.kind));
  }
  const max = options.maxSequenceLength;
  if (max !== undefined && ids.length > max) {
    const start = (options.truncationSide ?? 'right') === 'left' ? ids.length - max : 0;
    const labelTokens = new Map<number, number>();
    kindOf.forEach((kind, index) => kind === 'label' && labelTokens.set(turnOf[index]!, (labelTokens.get(turnOf[index]!) ?? 0) + 1));
    const slice = <T>(array: T[]) => array.slice(start, start + max);
    [ids, trained, turnOf, kindOf] = [slice(ids), slice(trained), slice(turnOf), slice(kindOf)];
    const keptLabelTokens = new Map<number, number>();
    kindOf.forEach((kind, index) => kind === 'label' && keptLabelTokens.set(turnOf[index]!, (keptLabelTokens.get(turnOf[index]!) ?? 0) + 1));
    for (const [turn, count] of labelTokens) {
      if ((keptLabelTokens.get(turn) ?? 0) !== count) trained = trained.map((value, index) => value && !(turnOf[index] === turn && (kindOf[index] === 'response' || kindOf[index] === 'stop')));
    }
  }
  // The first token is never predicted.
  if (trained.length > 0) trained[0] = false;
  if (!trained.some(Boolean)) return undefined;
  const labels = conversation.turns.filter((turn) => turn.role === 'assistant' && turn.attributes !== undefined).map((turn) => ({ ...turn.attributes! }));
  return { ids, trained, labels };
}
