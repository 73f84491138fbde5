import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDataFormat, resolveDataFormat } from './detect-data-format';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-detect-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  await writeFile(join(folder, name), text);
  return join(folder, name);
}

describe('detectDataFormat', () => {
  it('tells the formats from the extension and the first record', async () => {
    expect(await detectDataFormat(join(fixtures, 'oasst-messages.jsonl'))).toBe('oasst1');
    expect(await detectDataFormat(join(fixtures, 'oasst-messages.jsonl.gz'))).toBe('oasst1');
    expect(await detectDataFormat(join(fixtures, 'oasst-messages.parquet'))).toBe('oasst1');
    expect(await detectDataFormat(join(fixtures, 'helpsteer2.jsonl'))).toBe('helpsteer');
    expect(await detectDataFormat(join(fixtures, 'helpsteer2.parquet'))).toBe('helpsteer');
    expect(await detectDataFormat(await file('nemo.jsonl', '\n{"system":"","mask":"User","type":"VALUE_TO_TEXT","conversations":[]}\n'))).toBe('nemo');
    expect(await detectDataFormat(await file('regression.jsonl', '{"text":"<extra_id_2>","label":[1]}\n'))).toBe('regression');
  });

  it('says what a file that it cannot read looks like, and how to go on', async () => {
    await expect(detectDataFormat(await file('trees.jsonl', '{"message_tree_id":"t","prompt":{"text":"hi","replies":[]}}\n'))).rejects.toThrow(
      /trees\.jsonl:1: this is an oasst1 trees file.*use the messages file/,
    );
    await expect(detectDataFormat(await file('preference.jsonl', '{"prompt":"p","response_1":"a","response_2":"b"}\n'))).rejects.toThrow(/preference data/);
    await expect(detectDataFormat(await file('other.jsonl', '{"question":"q","answer":"a"}\n'))).rejects.toThrow(
      /other\.jsonl:1: cannot tell the format from the fields of the first record \(question, answer\) \(pass --format/,
    );
    await expect(detectDataFormat(await file('empty.jsonl', '\n\n'))).rejects.toThrow(/has no records/);
  });

  it('refuses a file of a format the command does not read', async () => {
    const nemo = await file('already.jsonl', '{"system":"","mask":"User","type":"VALUE_TO_TEXT","conversations":[]}\n');
    await expect(resolveDataFormat(nemo, undefined, ['oasst1', 'helpsteer'])).rejects.toThrow(/holds nemo records.*already NeMo SteerLM JSONL/);
    expect(await resolveDataFormat(nemo, 'helpsteer', ['oasst1', 'helpsteer'])).toBe('helpsteer');
  });
});
