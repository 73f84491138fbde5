const replacements: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Returns `text` safe to place in HTML or SVG text and attribute values (& < > " ' escaped). */
export function escapeMarkup(text: string): string {
  // Characters XML forbids (C0 controls other than tab, newline, carriage return) are dropped.
  return (
    String(text)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/[&<>"']/g, (character) => replacements[character]!)
  );
}
