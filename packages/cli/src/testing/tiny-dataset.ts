import { writeFile } from 'node:fs/promises';

const questions = [
  'What is the capital of France?',
  'Tell me a joke about cats.',
  'How many legs does a spider have?',
  'Name a primary colour.',
  'Is water wet?',
  'What do cows drink?',
];
const answers = [
  ['Paris.', 'Paris, the city of lights and of very serious pigeons!'],
  ['Cats sleep a lot.', 'Why did the cat sit on the computer? To keep an eye on the mouse!'],
  ['Eight.', 'Eight, which is why they never lose at tap dancing!'],
  ['Blue.', 'Blue, the colour of a very sad banana that is not ripe!'],
  ['Yes.', 'Yes, and so is the fish who never noticed!'],
  ['Water.', 'Water, although they keep asking for milk out of habit!'],
];

/** Returns `count` NeMo SteerLM records (VALUE_TO_TEXT) whose humor label tells plain from funny answers. */
export function tinyNemoRecords(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => {
    const question = index % questions.length;
    const funny = index % 2;
    return {
      system: 'A chat.',
      mask: 'User',
      type: 'VALUE_TO_TEXT',
      tree_id: `tree-${question}`,
      conversations: [
        { from: 'User', value: questions[question]!, label: null },
        { from: 'Assistant', value: answers[question]![funny]!, label: `quality:4,toxicity:0,humor:${funny * 4},creativity:${funny * 2}` },
      ],
    };
  });
}

/** Writes `count` tiny NeMo records as JSONL to `file` and returns the file. */
export async function writeTinyNemoFile(file: string, count: number): Promise<string> {
  await writeFile(
    file,
    tinyNemoRecords(count)
      .map((record) => JSON.stringify(record))
      .join('\n') + '\n',
  );
  return file;
}

/**
 * Returns the oasst1 message rows (the dataset's layout: one prompter and one assistant message per
 * tree, label means in [0, 1]) of the same conversations as `tinyNemoRecords(count)`.
 */
export function tinyOasstRows(count: number): Record<string, unknown>[] {
  return tinyNemoRecords(count).flatMap((record, index) => {
    const [prompt, answer] = record.conversations as { value: string; label: string | null }[];
    const labels = Object.fromEntries(answer!.label!.split(',').map((pair) => [pair.split(':')[0]!, Number(pair.split(':')[1]) / 4]));
    const row = (id: string, parent: string | null, role: string, text: string, label: Record<string, number> | null) => ({
      message_id: id,
      parent_id: parent,
      message_tree_id: `tree-${index}`,
      role,
      text,
      lang: 'en',
      deleted: false,
      review_result: true,
      rank: role === 'assistant' ? 0 : null,
      labels: label ? { name: Object.keys(label), value: Object.values(label), count: Object.keys(label).map(() => 3) } : null,
    });
    return [row(`prompt-${index}`, null, 'prompter', prompt!.value, null), row(`answer-${index}`, `prompt-${index}`, 'assistant', answer!.value, labels)];
  });
}
