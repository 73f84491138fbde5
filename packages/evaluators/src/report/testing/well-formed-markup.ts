/** A parsed element of an HTML or SVG document (test support: a strict well-formedness checker). */
export interface MarkupElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: (MarkupElement | string)[];
}

const voidElements = new Set(['meta', 'link', 'br', 'hr', 'img', 'input']);
const rawTextElements = new Set(['style', 'script']);
const entityPattern = /&(?:(amp|lt|gt|quot|apos|nbsp)|#(\d+)|#x([0-9a-f]+));/giy;
const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decode(text: string, where: number): string {
  let result = '';
  for (let index = 0; index < text.length;) {
    if (text[index] !== '&') {
      result += text[index];
      index += 1;
      continue;
    }
    entityPattern.lastIndex = index;
    const match = entityPattern.exec(text);
    if (!match) throw new Error(`bare "&" at offset ${where + index}: ${JSON.stringify(text.slice(index, index + 20))}`);
    result += match[1] ? named[match[1].toLowerCase()]! : String.fromCodePoint(match[2] ? Number(match[2]) : parseInt(match[3]!, 16));
    index += match[0].length;
  }
  return result;
}

/**
 * Returns the element tree of `text`, throwing on anything not well-formed: mismatched or unclosed
 * tags, unquoted or duplicate attributes, a bare `&`, or a `<` that starts no tag.
 */
export function parseMarkup(text: string): MarkupElement {
  const root: MarkupElement = { name: '#document', attributes: {}, children: [] };
  const stack: MarkupElement[] = [root];
  let index = 0;
  const top = () => stack[stack.length - 1]!;
  while (index < text.length) {
    const open = text.indexOf('<', index);
    const textEnd = open === -1 ? text.length : open;
    if (textEnd > index) top().children.push(decode(text.slice(index, textEnd), index));
    if (open === -1) break;
    index = open;
    if (text.startsWith('<!--', index)) {
      const end = text.indexOf('-->', index);
      if (end === -1) throw new Error(`unclosed comment at ${index}`);
      index = end + 3;
    } else if (/^<!doctype html>/i.test(text.slice(index, index + 15))) {
      if (stack.length !== 1 || root.children.some((child) => typeof child !== 'string' || child.trim() !== '')) throw new Error('DOCTYPE must come first');
      index += 15;
    } else if (text.startsWith('</', index)) {
      const match = /^<\/([A-Za-z][\w:-]*)\s*>/.exec(text.slice(index));
      if (!match) throw new Error(`malformed end tag at ${index}`);
      const element = stack.pop();
      if (!element || element === root || element.name !== match[1]) throw new Error(`</${match[1]}> at ${index} does not close <${element?.name}>`);
      index += match[0].length;
    } else {
      const match = /^<([A-Za-z][\w:-]*)((?:\s+[A-Za-z_:][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(text.slice(index));
      if (!match) throw new Error(`"<" at offset ${index} starts no well-formed tag: ${JSON.stringify(text.slice(index, index + 40))}`);
      const attributes: Record<string, string> = {};
      for (const attribute of match[2]!.matchAll(/([A-Za-z_:][\w:.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (attribute[1]! in attributes) throw new Error(`duplicate attribute ${attribute[1]} at ${index}`);
        attributes[attribute[1]!] = decode(attribute[2] ?? attribute[3] ?? '', index);
      }
      const element: MarkupElement = { name: match[1]!, attributes, children: [] };
      top().children.push(element);
      index += match[0].length;
      if (match[3] === '/' || voidElements.has(element.name)) continue;
      if (rawTextElements.has(element.name)) {
        const end = text.indexOf(`</${element.name}>`, index);
        if (end === -1) throw new Error(`unclosed <${element.name}>`);
        element.children.push(text.slice(index, end));
        index = end + element.name.length + 3;
        continue;
      }
      stack.push(element);
    }
  }
  if (stack.length !== 1)
    throw new Error(
      `unclosed elements: ${stack
        .slice(1)
        .map((element) => element.name)
        .join(' > ')}`,
    );
  return root;
}

/** Returns every element named `name` in the tree, in document order. */
export function findElements(element: MarkupElement, name: string): MarkupElement[] {
  const found: MarkupElement[] = [];
  for (const child of element.children) {
    if (typeof child === 'string') continue;
    if (child.name === name) found.push(child);
    found.push(...findElements(child, name));
  }
  return found;
}

/** Returns the decoded text content of an element. */
export function textContent(element: MarkupElement): string {
  return element.children.map((child) => (typeof child === 'string' ? child : textContent(child))).join('');
}
