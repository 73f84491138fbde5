/**
 * GPT-2's reversible byte ↔ printable-character map: the printable Latin-1 bytes map to themselves,
 * every other byte (controls, space, …) to a code point from U+0100 up, so any byte string becomes a
 * string of visible characters (a space becomes "Ġ", a newline "Ċ").
 */
function buildByteToUnicode(): string[] {
  const table: string[] = new Array<string>(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    table[byte] = String.fromCodePoint(printable ? byte : next++);
  }
  return table;
}

/** The 256 characters standing for bytes 0…255 in byte-level BPE vocabularies. */
export const BYTE_TO_UNICODE: readonly string[] = Object.freeze(buildByteToUnicode());

/** Map from a byte-level character back to its byte. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((character, byte) => [character, byte]));

const encoder = new TextEncoder();

/** Returns the byte-level form of `text`: its UTF-8 bytes, each as its stand-in character. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const byte of encoder.encode(text)) out += BYTE_TO_UNICODE[byte]!;
  return out;
}

/** Returns the text whose byte-level form is `symbols` (invalid UTF-8 becomes U+FFFD). */
export function fromByteLevel(symbols: string): string {
  const bytes: number[] = [];
  for (const character of symbols) {
    const byte = UNICODE_TO_BYTE.get(character);
    if (byte !== undefined) bytes.push(byte);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
