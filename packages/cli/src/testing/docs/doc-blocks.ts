import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The fenced blocks of the docs, with the markers that say how the docs test treats them.
 *
 * Markers sit on the lines just above a fence (blank lines between are allowed), in any order:
 * - `*Not run by the docs test: REASON.*` — a visible line: the block is not run, and the reader sees why;
 * - `*Not type-checked: REASON.*` — a visible line: a sketch with placeholders, neither type-checked nor run;
 * - `<!-- docs-check: continues the block above -->` — the block runs after the one before it, as one program;
 * - `<!-- docs-test: env NAME=VALUE … -->` — environment variables while the block runs;
 * - `<!-- docs-test: setup NAME ARGS -->` — a setup hook that runs around the block (see `DocSetupHooks`).
 * A `<!-- docs-test: … -->` comment that is not just above a fence applies to every block of its file.
 * One line of a shell block is left out with a visible `[not run by the docs test: REASON]` in its comment.
 */
export interface DocBlock {
  /** `README.md` or `docs/NAME.md`. */
  readonly file: string;
  /** The 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's info string: sh, bash, ts, json, or '' for plain text. */
  readonly lang: string;
  readonly code: string;
  /** Why the block is not run, from a visible marker; undefined when it runs. */
  readonly notRun: string | undefined;
  /** True for a sketch marked `*Not type-checked: …*`. */
  readonly notTypeChecked: boolean;
  /** True when the block continues the one before it (one program). */
  readonly continues: boolean;
  /** The `docs-test:` directives of the file and then of the block, without the prefix, e.g. `env HF_ENDPOINT=…`. */
  readonly directives: readonly string[];
}

const NOT_RUN = /^\*Not run by the docs test: (.+?)\.?\*$/;
const NOT_TYPE_CHECKED = /^\*Not type-checked: (.+?)\.?\*$/;
const CONTINUES = '<!-- docs-check: continues the block above -->';
const DIRECTIVE = /^<!-- docs-test: (.+?) -->$/;

/** Returns `README.md` and `docs/*.md` (sorted), relative to `root`. */
export async function documentationFiles(root: string): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((file) => file.endsWith('.md')).sort();
  return ['README.md', ...docs.map((file) => `docs/${file}`)];
}

/** Returns the fenced blocks of one markdown file, `file` relative to `root`. */
export async function readDocBlocks(root: string, file: string): Promise<DocBlock[]> {
  const lines = (await readFile(join(root, file), 'utf8')).split('\n');
  const fileDirectives: string[] = [];
  const attached = new Set<number>();
  const blocks: DocBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = /^```(\S*)\s*$/.exec(lines[index]!);
    if (!fence) continue;
    let end = index + 1;
    while (end < lines.length && lines[end]!.trim() !== '```') end += 1;
    let notRun: string | undefined;
    let notTypeChecked = false;
    let continues = false;
    const directives: string[] = [];
    for (let before = index - 1; before >= 0; before--) {
      const marker = lines[before]!.trim();
      if (marker === '') continue;
      const notRunMatch = NOT_RUN.exec(marker);
      const sketch = NOT_TYPE_CHECKED.exec(marker);
      const directive = DIRECTIVE.exec(marker);
      if (notRunMatch) notRun = notRunMatch[1]!;
      else if (sketch) {
        notTypeChecked = true;
        notRun ??= `a sketch with placeholders (${sketch[1]!})`;
      } else if (marker === CONTINUES) continues = true;
      else if (directive) directives.unshift(directive[1]!);
      else break;
      attached.add(before);
    }
    blocks.push({ file, line: index + 1, lang: fence[1]!, code: lines.slice(index + 1, end).join('\n'), notRun, notTypeChecked, continues, directives });
    index = end;
  }
  lines.forEach((line, index) => {
    const directive = DIRECTIVE.exec(line.trim());
    if (directive && !attached.has(index)) fileDirectives.push(directive[1]!);
  });
  return blocks.map((block) => ({ ...block, directives: [...fileDirectives, ...block.directives] }));
}
