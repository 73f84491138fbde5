/** One token of a text and where it starts (in UTF-16 code units). */
export interface TextToken {
  readonly text: string;
  readonly offset: number;
}

const specialTokenPattern = /<extra_id_\d+>/g;

/**
 * Returns the tokens of `text`: every `<extra_id_N>` control token is one token, every other code
 * point is its own token (the tiny models of the test server are character models).
 */
export function tokenizeCharacters(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  const pushCharacters = (from: number, to: number) => {
    let offset = from;
    for (const character of text.slice(from, to)) {
      tokens.push({ text: character, offset });
      offset += character.length;
    }
  };
  let position = 0;
  for (const match of text.matchAll(specialTokenPattern)) {
    pushCharacters(position, match.index);
    tokens.push({ text: match[0], offset: match.index });
    position = match.index + match[0].length;
  }
  pushCharacters(position, text.length);
  return tokens;
}
