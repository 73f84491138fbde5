import { describe, expect, it } from 'vitest';
import { steerlmTemplate } from '../prompt-template';
import { readSteerLM2Records, steerLM2ResponseConversation, validateSteerLM2Record } from './steerlm2-record';

const good = {
  system: 'S',
  prompt_turns: [
    { from: 'User', value: 'u1' },
    { from: 'Assistant', value: 'a1' },
    { from: 'User', value: 'u2' },
  ],
  label: 'quality:4,humor:2',
  responses: [
    { from: 'Assistant', value: 'r1', 'log(P(a|x,y))': -1, 'log(P(y|x))': -10, 'log(Q(y|a,x))': -9 },
    { from: 'Assistant', value: 'r2', 'log(P(a|x,y))': -2, 'log(P(y|x))': -11, 'log(Q(y|a,x))': -12 },
  ],
  prompt_id: 'p1',
};

describe('SteerLM 2.0 records (NeMo-Aligner SteerLM2Dataset layout)', () => {
  it('validates, keeps extra keys and renders each response as NeMo builds its prompt', () => {
    const record = validateSteerLM2Record(good);
    expect(record.prompt_id).toBe('p1');
    const conversation = steerLM2ResponseConversation(record, 1);
    expect(conversation.turns[1]).toEqual({ role: 'assistant', text: 'a1', train: false });
    // NeMo: system header, prompt turns without labels, the assistant header, the label line, then y.
    expect(steerlmTemplate.render(conversation)).toBe(
      '<extra_id_0>System\nS\n<extra_id_1>User\nu1\n<extra_id_1>Assistant\na1\n<extra_id_1>User\nu2\n<extra_id_1>Assistant\n<extra_id_2>quality:4,humor:2\nr2\n',
    );
  });

  it('names the field of each bad value', async () => {
    const bad = (patch: object) => () => validateSteerLM2Record({ ...good, ...patch }, { location: { file: 'd.jsonl', line: 3 } });
    expect(
      bad({
        prompt_turns: [
          { from: 'User', value: 'u' },
          { from: 'Assistant', value: 'a' },
        ],
      }),
    ).toThrow(/d\.jsonl:3, field "prompt_turns": expected an odd number/);
    expect(bad({ prompt_turns: [{ from: 'Assistant', value: 'u' }] })).toThrow(/field "prompt_turns\[0\]\.from": expected "User"/);
    expect(bad({ label: 'joy:1' })).toThrow(/field "label"/);
    expect(bad({ responses: [] })).toThrow(/at least one response/);
    expect(bad({ responses: [{ ...good.responses[0], 'log(P(y|x))': 0.5 }] })).toThrow(
      /field "responses\[0\]\.log\(P\(y\|x\)\)": expected a finite log-probability ≤ 0/,
    );
    expect(bad({ responses: [{ ...good.responses[0], 'log(Q(y|a,x))': undefined }] })).toThrow(/responses\[0\]\.log\(Q\(y\|a,x\)\).*missing/);
    const reader = readSteerLM2Records([`${JSON.stringify(good)}\n{"system":1}\n`], { onError: 'skip' });
    const records = [];
    for await (const { value } of reader) records.push(value);
    expect(records).toHaveLength(1);
    expect(reader.report.skipped).toBe(1);
  });
});
