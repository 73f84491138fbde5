import { DataFormatError } from '../errors';
import type { JsonlSource } from './byte-source';
import { readJsonl, type JsonlLine } from './jsonl-reader';
import type { OasstMessage } from './oasst-message';

/** All message rows of one oasst1 conversation tree, in file order. */
export interface OasstTree {
  readonly treeId: string;
  readonly messages: readonly OasstMessage[];
}

/**
 * How rows are gathered into trees. `contiguous`: the file is grouped by `message_tree_id` (oasst1's
 * exports are), so only one tree is held at a time — a tree that reappears later is an error.
 * `buffered`: any order; holds every row until the end. `auto` (default): for a file path, a first
 * pass checks the grouping and picks one of the two; other sources are read `contiguous`.
 */
export type OasstGrouping = 'contiguous' | 'buffered' | 'auto';

/** Returns whether the rows of a file path are grouped by tree (a first pass that only looks at tree ids). */
export async function isGroupedByTree(path: string, options: { maxLineBytes?: number } = {}): Promise<boolean> {
  const finished = new Set<string>();
  let current: string | undefined;
  const rows = readJsonl(path, { onError: 'skip', ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}) });
  for await (const { value } of rows) {
    const treeId = typeof value === 'object' && value !== null ? (value as { message_tree_id?: unknown }).message_tree_id : undefined;
    if (typeof treeId !== 'string' || treeId === current) continue;
    if (current !== undefined) finished.add(current);
    if (finished.has(treeId)) return false;
    current = treeId;
  }
  return true;
}

/** Returns the grouping to read `source` with: `auto` resolved by a first pass over a file path. */
export async function resolveGrouping(
  source: JsonlSource,
  grouping: OasstGrouping,
  options: { maxLineBytes?: number } = {},
): Promise<'contiguous' | 'buffered'> {
  if (grouping !== 'auto') return grouping;
  if (typeof source !== 'string') return 'contiguous';
  return (await isGroupedByTree(source, options)) ? 'contiguous' : 'buffered';
}

/**
 * Yields the trees of a stream of checked message rows. `contiguous` holds one tree at a time (plus
 * the ids of finished trees, to detect an ungrouped file): a row of a tree already yielded is an error,
 * thrown, or passed to `onReappear` and left out when that is given; `buffered` holds every row.
 */
export async function* groupOasstTrees(
  rows: AsyncIterable<JsonlLine<OasstMessage>>,
  grouping: 'contiguous' | 'buffered',
  options: { file?: string; onReappear?: (error: DataFormatError) => void } = {},
): AsyncGenerator<OasstTree> {
  if (grouping === 'buffered') {
    const trees = new Map<string, OasstMessage[]>();
    for await (const { value } of rows) {
      const messages = trees.get(value.treeId);
      if (messages) messages.push(value);
      else trees.set(value.treeId, [value]);
    }
    for (const [treeId, messages] of trees) yield { treeId, messages };
    return;
  }
  const finished = new Set<string>();
  let current: OasstMessage[] = [];
  let currentId: string | undefined;
  for await (const { value } of rows) {
    if (value.treeId === currentId) {
      current.push(value);
      continue;
    }
    if (finished.has(value.treeId)) {
      const error = new DataFormatError(`message_tree_id "${value.treeId}" reappears after other trees: the rows are not grouped by tree`, {
        ...(options.file !== undefined ? { file: options.file } : {}),
        line: value.line,
        field: 'message_tree_id',
        hint: "read with { grouping: 'buffered' } (holds every row in memory) or sort the file by message_tree_id",
      });
      if (!options.onReappear) throw error;
      options.onReappear(error);
      continue;
    }
    if (currentId !== undefined) {
      yield { treeId: currentId, messages: current };
      finished.add(currentId);
    }
    current = [value];
    currentId = value.treeId;
  }
  if (currentId !== undefined) yield { treeId: currentId, messages: current };
}
