/** One command of a shell block, as the docs test runs it. */
export interface ShellCommand {
  /** The 1-based line of the doc it starts on. */
  readonly line: number;
  /** The words, quotes removed; `$(…)` and `$NAME` still to expand. */
  readonly words: readonly string[];
  /** The command as written (one logical line, or one part of an `a && b` chain). */
  readonly text: string;
  /** Why the command is not run, from `[not run by the docs test: REASON]` in its comment. */
  readonly notRun: string | undefined;
}

const NOT_RUN = /\[not run by the docs test: ([^\]]+)\]/;

/** Returns where `char` closes what opened before `from`; an unclosed quote runs to the end of the text. */
function closing(text: string, char: string, from: number): number {
  const end = text.indexOf(char, from);
  return end < 0 ? text.length : end;
}

/** Returns the words of a shell command: quotes group, `$(…)` stays one word, and `&&` is its own word. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === ' ' || char === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if (char === '&' && text[index + 1] === '&' && !inWord) {
      words.push('&&');
      index += 1;
      continue;
    }
    inWord = true;
    if (char === "'") {
      const end = closing(text, "'", index + 1);
      word += text.slice(index + 1, end);
      index = end;
    } else if (char === '"') {
      const end = closing(text, '"', index + 1);
      word += text.slice(index + 1, end);
      index = end;
    } else if (char === '$' && text[index + 1] === '(') {
      const end = closing(text, ')', index);
      word += text.slice(index, end + 1);
      index = end;
    } else word += char;
  }
  if (inWord) words.push(word);
  return words;
}

/** Returns where a `#` comment starts outside quotes, or -1. */
function commentStart(text: string): number {
  let quote: string | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '#' && (index === 0 || /\s/.test(text[index - 1]!))) return index;
  }
  return -1;
}

/**
 * Returns the commands of a shell block whose first line is doc line `firstLine`: `\` joins lines,
 * `#` starts a comment, `&&` chains commands, a leading `$ ` prompt is dropped.
 */
export function shellCommands(code: string, firstLine: number): ShellCommand[] {
  const commands: ShellCommand[] = [];
  const lines = code.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const start = index;
    let logical = '';
    let comments = '';
    for (;;) {
      const raw = lines[index]!;
      const hash = commentStart(raw);
      if (hash >= 0) comments += raw.slice(hash);
      const text = hash >= 0 ? raw.slice(0, hash) : raw;
      if (/\\\s*$/.test(text) && index + 1 < lines.length) {
        logical += `${text.replace(/\\\s*$/, '')} `;
        index += 1;
      } else {
        logical += text;
        break;
      }
    }
    const notRun = NOT_RUN.exec(comments)?.[1];
    const words = shellWords(logical.trim().replace(/^\$ /, ''));
    let part: string[] = [];
    const flush = () => {
      if (part.length > 0) commands.push({ line: firstLine + 1 + start, words: part, text: part.join(' '), notRun });
      part = [];
    };
    for (const word of words) {
      if (word === '&&') flush();
      else part.push(word);
    }
    flush();
  }
  return commands;
}
