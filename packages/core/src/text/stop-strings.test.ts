import { describe, expect, it } from 'vitest';
import { checkStopStrings, cutAtStop } from './stop-strings';

describe('cutAtStop', () => {
  it('cuts before the earliest stop string, whichever is listed first', () => {
    expect(cutAtStop('a<b>c<a>d', ['<a>', '<b>'])).toEqual({ stopped: true, text: 'a' });
    expect(cutAtStop('plain text', ['<a>'])).toEqual({ stopped: false, text: 'plain text' });
  });

  it('never matches an empty stop string', () => {
    expect(cutAtStop('hello', [''])).toEqual({ stopped: false, text: 'hello' });
    expect(cutAtStop('hello<s>', ['', '<s>'])).toEqual({ stopped: true, text: 'hello' });
  });
});

describe('checkStopStrings', () => {
  it('holds back a tail that may still become a stop string', () => {
    expect(checkStopStrings('answer <ext', ['<extra_id_1>'])).toEqual({ stopped: false, text: 'answer ' });
    expect(checkStopStrings('answer <extra_id_1> more', ['<extra_id_1>'])).toEqual({ stopped: true, text: 'answer ' });
    expect(checkStopStrings('answer', ['', '<s>'])).toEqual({ stopped: false, text: 'answer' });
    expect(checkStopStrings('ab END cd STOP', ['STOP', 'END'])).toEqual({ stopped: true, text: 'ab ' });
  });
});
