import { describe, expect, it } from 'vitest';
import { DataFormatError, InvalidAttributeError, RemoteError, SteerLMError, TrainingError } from './index';

describe('SteerLMError', () => {
  it('says what, where and how to fix', () => {
    const error = new DataFormatError('expected "from" to be "User" or "Assistant", got 3', {
      file: 'train.jsonl',
      line: 12,
      field: 'conversations[1].from',
      hint: 'fix the record or read with onError: "skip"',
    });
    expect(error.message).toBe(
      'train.jsonl:12, field "conversations[1].from": expected "from" to be "User" or "Assistant", got 3 (fix the record or read with onError: "skip")',
    );
    expect(error).toMatchObject({ code: 'steerlm.data-format', file: 'train.jsonl', line: 12, name: 'DataFormatError' });
    expect(error).toBeInstanceOf(SteerLMError);
    expect(error).toBeInstanceOf(Error);
  });

  it('isInstance works on the base and per subclass, also across module copies', () => {
    const error = new TrainingError('loss is NaN 5 times in a row', { step: 40, checkpoint: 'runs/a/step-30' });
    expect(SteerLMError.isInstance(error)).toBe(true);
    expect(TrainingError.isInstance(error)).toBe(true);
    expect(RemoteError.isInstance(error)).toBe(false);
    expect(SteerLMError.isInstance(new Error('x'))).toBe(false);
    expect(SteerLMError.isInstance(null)).toBe(false);
    // An error made by another copy of the package carries the same global symbol and code.
    const foreign = Object.assign(new Error('x'), { [Symbol.for('steerlm.error')]: true, code: 'steerlm.invalid-attribute' });
    expect(SteerLMError.isInstance(foreign)).toBe(true);
    expect(InvalidAttributeError.isInstance(foreign)).toBe(true);
    expect(error.step).toBe(40);
  });

  it('keeps the cause', () => {
    const cause = new SyntaxError('Unexpected token');
    const error = new DataFormatError('invalid JSON', { line: 3, cause });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('line 3: invalid JSON');
  });
});
