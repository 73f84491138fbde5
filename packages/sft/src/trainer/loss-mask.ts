import { STEERLM, steerlmTemplate, type AttributeSchema, type Conversation, type PromptTemplate, type TemplateSegment, type Tokenizer } from '@steerlm/core';
import { TokenBoundaries } from './token-boundaries';

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
  /** The chat format (default: NeMo-Aligner's SteerLM template); its segments decide the masks. */
  template?: PromptTemplate;
  /** Train on every assistant turn (true, default) or only the last one. */
  multiTurn?: boolean;
  /** Longest sequence in tokens; longer examples are truncated. */
  maxSequenceLength?: number;
  /** Which end to cut when truncating (default 'right'). */
  truncationSide?: 'left' | 'right';
}

/** A template segment with its loss decision. */
export interface MaskedSegment extends TemplateSegment {
  readonly trained: boolean;
}

/**
 * Returns the segments of a conversation with NeMo-Aligner's loss decisions (GPTSFTChatDataset).
 * VALUE_TO_TEXT: each assistant response (`body`) and the `end` that closes it (SteerLM: the next
 * turn's `<extra_id_1>`, appended after a last assistant turn) are trained; the system prompt, user
 * turns, headers and label lines are not, nor is a first turn. TEXT_TO_VALUE (the conversation's
 * `placement`): an assistant turn's label value and its end are trained instead (an unlabelled turn:
 * its response and end). Turns with `train: false` and, with `multiTurn: false`, all but the last
 * assistant turn are context.
 */
export function maskedSegments(conversation: Conversation, options: Pick<LossMaskOptions, 'schema' | 'template' | 'multiTurn'> = {}): MaskedSegment[] {
  const template = options.template ?? steerlmTemplate;
  const placement = conversation.placement ?? 'VALUE_TO_TEXT';
  const turns = conversation.turns;
  let lastAssistant = -1;
  turns.forEach((turn, index) => {
    if (turn.role === 'assistant' && turn.train !== false) lastAssistant = index;
  });
  const trainedTurn = (index: number) => {
    const turn = turns[index];
    if (!turn || turn.role !== 'assistant' || turn.train === false) return false;
    if (placement === 'VALUE_TO_TEXT' && index === 0) return false;
    return (options.multiTurn ?? true) || index === lastAssistant;
  };
  const trainedParts = (index: number): readonly string[] =>
    placement === 'TEXT_TO_VALUE' && turns[index]!.attributes !== undefined ? ['label', 'end'] : ['body', 'end'];
  const segments: MaskedSegment[] = template
    .segments(conversation, { schema: options.schema ?? STEERLM, placement })
    .map((segment) => ({ ...segment, trained: trainedTurn(segment.turn) && trainedParts(segment.turn).includes(segment.part) }));
  const last = turns.length - 1;
  if (trainedTurn(last) && !segments.some((segment) => segment.turn === last && segment.part === 'end')) {
    segments.push({ text: template.stopStrings[0]!, turn: last, role: 'assistant', part: 'end', trained: true });
  }
  return segments;
}

/**
 * Returns the token ids and loss mask of a conversation, NeMo-exact (see `maskedSegments`). The
 * whole text is tokenized at once, as NeMo and inference do, and the masks are placed at the token
 * positions of the segments' character offsets (see TokenBoundaries). Truncation that cuts into an
 * assistant turn's label masks that whole turn (its response would be trained without its
 * condition). Returns undefined when no trained token is left.
 */
export function tokenizeConversation(conversation: Conversation, tokenizer: Tokenizer, options: LossMaskOptions = {}): TokenizedExample | undefined {
  const segments = maskedSegments(conversation, options);
  const boundaries = new TokenBoundaries(tokenizer, segments.map((segment) => segment.text).join(''));
  let ids = boundaries.ids;
  let trained: boolean[] = new Array<boolean>(ids.length).fill(false);
  let turnOf: number[] = new Array<number>(ids.length).fill(-1);
  let isLabel: boolean[] = new Array<boolean>(ids.length).fill(false);
  let offset = 0;
  let from = 0;
  segments.forEach((segment, index) => {
    offset += segment.text.length;
    const next = segments[index + 1];
    const label = segment.part === 'label' || segment.part === 'label-start';
    const nextLabel = next !== undefined && (next.part === 'label' || next.part === 'label-start');
    // Tokens are placed once per run of segments that mask alike: the turn matters only for trained and
    // label tokens (truncation through a label masks that turn), so context runs across turns.
    const alike = next !== undefined && next.trained === segment.trained && nextLabel === label && (next.turn === segment.turn || (!label && !segment.trained));
    if (alike) return;
    const to = boundaries.at(offset);
    for (let token = from; token < to; token++) {
      trained[token] = segment.trained;
      turnOf[token] = segment.turn;
      isLabel[token] = label;
    }
    from = Math.max(from, to);
  });
  const max = options.maxSequenceLength;
  if (max !== undefined && ids.length > max) {
    const start = (options.truncationSide ?? 'right') === 'left' ? ids.length - max : 0;
    const labelTokens = new Map<number, number>();
    isLabel.forEach((label, index) => label && labelTokens.set(turnOf[index]!, (labelTokens.get(turnOf[index]!) ?? 0) + 1));
    const slice = <T>(array: T[]) => array.slice(start, start + max);
    [ids, trained, turnOf, isLabel] = [slice(ids), slice(trained), slice(turnOf), slice(isLabel)];
    const keptLabelTokens = new Map<number, number>();
    isLabel.forEach((label, index) => label && keptLabelTokens.set(turnOf[index]!, (keptLabelTokens.get(turnOf[index]!) ?? 0) + 1));
    for (const [turn, count] of labelTokens) {
      if ((keptLabelTokens.get(turn) ?? 0) !== count) trained = trained.map((value, index) => value && turnOf[index] !== turn);
    }
  }
  // The first token is never predicted.
  if (trained.length > 0) trained[0] = false;
  if (!trained.some(Boolean)) return undefined;
  const labels = conversation.turns.filter((turn) => turn.role === 'assistant' && turn.attributes !== undefined).map((turn) => ({ ...turn.attributes! }));
  return { ids, trained, labels };
}
