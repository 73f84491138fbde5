/**
 * Returns the offset of the first byte that makes `bytes` invalid UTF-8 (overlong forms,
 * surrogates, code points above U+10FFFF and truncated sequences included), or -1 when valid.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  let index = 0;
  const length = bytes.length;
  while (index < length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let size: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) size = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      size = 3;
      if (lead === 0xe0) lower = 0xa0;
      if (lead === 0xed) upper = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      size = 4;
      if (lead === 0xf0) lower = 0x90;
      if (lead === 0xf4) upper = 0x8f;
    } else return index;
    for (let offset = 1; offset < size; offset += 1) {
      if (index + offset >= length) return index;
      const byte = bytes[index + offset]!;
      const low = offset === 1 ? lower : 0x80;
      const high = offset === 1 ? upper : 0xbf;
      if (byte < low || byte > high) return index;
    }
    index += size;
  }
  return -1;
}
