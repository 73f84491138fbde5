/**
 * NeMo's GPTSFTChatDataset masking (nemo/collections/nlp/data/language_modeling/megatron/
 * gpt_sft_chat_dataset.py: preprocess and _mask_targets), re-implemented from its description for
 * golden files (scripts/nemo-reference/sft-masks.mts) and property tests, independent of this project's masking code: the whole
 * conversation is tokenized at once and the masks are placed by per-turn token counts measured with
 * NeMo's "\x00" prefix trick.
 */
export type Turn = { from: 'User' | 'Assistant'; value: string; label: string | null };
export type NemoChatRecord = { system: string; mask: 'User'; type: 'VALUE_TO_TEXT' | 'TEXT_TO_VALUE'; conversations: Turn[] };

const SYSTEM_START = '<extra_id_0>';
const TURN = '<extra_id_1>';
const LABEL = '<extra_id_2>';
const END_OF_TURN = '\n';
const END_OF_NAME = '\n';
const PREFIX = '\x00';

function findSub(small: number[], large: number[]): number {
  for (let i = 0; i + small.length <= large.length; i++) if (small.every((id, j) => large[i + j] === id)) return i;
  return -1;
}

/** NeMo's preprocess(): returns input_ids and mask (mask[i]: token i is a loss target). */
export function nemoPreprocess(record: NemoChatRecord, encode: (text: string) => number[]): { ids: number[]; trained: boolean[] } {
  const type = record.type;
  const header = `${SYSTEM_START}System${END_OF_NAME}${record.system}${END_OF_TURN}`;
  let conversation = header;
  const values: string[] = [];
  record.conversations.forEach((turn, i) => {
    const label = typeof turn.label === 'string' ? `${LABEL}${turn.label}${END_OF_NAME}` : '';
    const value =
      type === 'VALUE_TO_TEXT'
        ? `${TURN}${turn.from}${END_OF_NAME}${label}${turn.value}${END_OF_TURN}`
        : `${TURN}${turn.from}${END_OF_NAME}${turn.value}${END_OF_TURN}${label}`;
    values.push(value);
    conversation += value;
    if (turn.from !== record.mask && i === record.conversations.length - 1) conversation += TURN;
  });
  const ids = encode(conversation);
  const IGNORE = -100;
  const target = [...ids];
  const headerLength = encode(header).length;
  const after = (text: string) => encode(PREFIX + text).slice(encode(PREFIX).length);
  const sentences = values.map(after);
  const labelStart = after(LABEL);
  const nameEnd = after(END_OF_NAME);
  const turnStartTokens = after(TURN).length;
  for (let t = 0; t < headerLength; t++) target[t] = IGNORE;
  const mask = (from: number, to: number) => {
    for (let t = from; t < Math.min(to, target.length); t++) target[t] = IGNORE;
  };
  let current = headerLength;
  for (let i = 0; i < sentences.length; i++) {
    const sentence = sentences[i]!;
    const length = sentence.length;
    const speaker = record.conversations[i]!.from;
    let skip = after(TURN + speaker + END_OF_NAME).length;
    const location = findSub(labelStart, sentence);
    if (location >= 0) {
      if (type === 'VALUE_TO_TEXT') {
        if (skip !== location) throw new Error('the label must follow the name');
        const newline = findSub(nameEnd, sentence.slice(skip));
        if (newline < 0) {
          mask(current, current + length);
          continue; // as NeMo: the position does not advance
        }
        skip += newline + nameEnd.length;
      } else {
        skip = location + labelStart.length;
      }
    }
    if (current >= target.length) break;
    if (i === 0 && type === 'VALUE_TO_TEXT') mask(current, current + length);
    else if (speaker === record.mask && i === 1 && type === 'TEXT_TO_VALUE') mask(current + turnStartTokens, current + length);
    else if (speaker === record.mask && i > 1) mask(current + turnStartTokens, current + length);
    else if (speaker === record.mask && i <= 1) mask(current, current + length);
    else mask(current, current + skip);
    current += length;
  }
  return { ids, trained: target.map((id) => id !== IGNORE) };
}
