import { describe, expect, it } from 'vitest';
import { readServerSentEvents } from './server-sent-events';

async function collect(chunks: string[]): Promise<string[]> {
  const encoder = new TextEncoder();
  const events: string[] = [];
  for await (const event of readServerSentEvents(
    (async function* () {
      for (const chunk of chunks) yield encoder.encode(chunk);
    })(),
  ))
    events.push(event);
  return events;
}

describe('readServerSentEvents', () => {
  it('splits events on blank lines across arbitrary chunk boundaries', async () => {
    const text = 'data: {"a":1}\n\n: a comment\nevent: x\ndata: line1\ndata: line2\n\ndata:[DONE]\n\n';
    const expected = ['{"a":1}', 'line1\nline2', '[DONE]'];
    expect(await collect([text])).toEqual(expected);
    expect(await collect(text.split(''))).toEqual(expected);
  });

  it('handles CRLF split between chunks and a final event without a blank line', async () => {
    expect(await collect(['data: one\r', '\n\r\ndata: two'])).toEqual(['one', 'two']);
  });

  it('decodes multi-byte characters split between chunks', async () => {
    const bytes = new TextEncoder().encode('data: héllo ☃\n\n');
    const events: string[] = [];
    for await (const event of readServerSentEvents(
      (async function* () {
        for (const byte of bytes) yield new Uint8Array([byte]);
      })(),
    ))
      events.push(event);
    expect(events).toEqual(['héllo ☃']);
  });
});
