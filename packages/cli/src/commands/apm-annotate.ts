import { conversationToNemoRecord, nemoRecordToConversation, ProgressTracker, readNemoRecords, writeNemoRecords, type Conversation, type ConversationTurn } from '@steerlm/core';
import { AttributePredictor } from '@steerlm/attribute-regressor';
import { defineCommand } from '../cli';

/** `steerlm apm annotate`: label every assistant turn with predicted attributes (SteerLM step 2). */
export const apmAnnotateCommand = defineCommand({
  name: 'apm annotate',
  summary: 'label every assistant turn of a dataset with an attribute prediction model (SteerLM step 2)',
  options: {
    model: { kind: 'string', valueName: 'DIR', required: true, description: 'a predictor saved by "steerlm apm train"' },
    data: { kind: 'string', valueName: 'FILE', required: true, description: 'NeMo SteerLM JSONL (labels, if any, are replaced)' },
    output: { kind: 'string', valueName: 'FILE', required: true, description: 'the annotated NeMo JSONL (VALUE_TO_TEXT), ready for "steerlm sft train"' },
    'batch-size': { kind: 'integer', min: 1, default: 64, description: 'responses scored at once' },
  },
  async run(values, _positionals, context) {
    const predictor = await AttributePredictor.load(values.model);
    const schema = predictor.schema;
    const conversations: Conversation[] = [];
    for await (const { value } of readNemoRecords(values.data, { schema })) conversations.push(nemoRecordToConversation(value, { schema }));
    const positions = conversations.flatMap((conversation, record) =>
      // Context-only turns (a HelpSteer2 prompt's earlier answers, inside NeMo's user turn) are not rated.
      conversation.turns.flatMap((turn, index) => (turn.role === 'assistant' && turn.train !== false ? [{ record, index }] : [])),
    );
    const tracker = new ProgressTracker('annotate', { total: positions.length, unit: 'responses', listeners: [context.progress] });
    const labelled = conversations.map((conversation) => [...conversation.turns]);
    for (let start = 0; start < positions.length; start += values['batch-size']) {
      if (context.signal.aborted) throw context.signal.reason;
      const batch = positions.slice(start, start + values['batch-size']);
      const scores = await predictor.score(
        batch.map(({ record, index }) => {
          const conversation = conversations[record]!;
          return {
            ...(conversation.system !== undefined ? { system: conversation.system } : {}),
            context: conversation.turns.slice(0, index).map(({ role, text }) => ({ role, text })),
            response: conversation.turns[index]!.text,
          };
        }),
      );
      batch.forEach(({ record, index }, position) => {
        const turn = labelled[record]![index]!;
        labelled[record]![index] = { role: turn.role, text: turn.text, attributes: scores[position]!.rounded } satisfies ConversationTurn;
      });
      tracker.step(start / values['batch-size'] + 1, batch.length);
    }
    const written = await writeNemoRecords(
      values.output,
      conversations.map((conversation, record) => conversationToNemoRecord({ ...conversation, turns: labelled[record]! }, { schema })),
      { schema },
    );
    tracker.end({ written });
    context.note(`annotated ${positions.length} responses in ${written} records → ${values.output}`);
    return { records: written, responses: positions.length, output: values.output };
  },
});
