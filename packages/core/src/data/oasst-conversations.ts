import { STEERLM, toBins, type AttributeSchema, type AttributeValues } from '../attributes';
import { DataFormatError, InvalidOptionError } from '../errors';
import type { Conversation, ConversationTurn } from '../prompt-template';
import type { JsonlSource } from './byte-source';
import { REPORTED_ERRORS } from './jsonl-reader';
import { readOasstMessages, type OasstMessage } from './oasst-message';
import { groupOasstTrees, resolveGrouping, type OasstGrouping, type OasstTree } from './oasst-trees';
import { recordError } from './record-location';

export interface OasstConversationOptions {
  /**
   * The schema of the attribute labels (default: STEERLM). Only label names it has are kept; a value
   * v in [0, 1] becomes min + round(v * (max - min)) with ties to even (0..4: `toBins(v, 5)`).
   * OASST-style extended schemas (violence, not_appropriate, …) work the same way.
   */
  schema?: AttributeSchema;
  /**
   * The oasst label names that become attributes (default: NeMo-Aligner's OPEN_ASSISTANT_ATTRIBUTES,
   * quality, toxicity, humor and creativity). oasst1's own `helpfulness` and other labels are left
   * out as NeMo does; pass `'schema'` to keep every label the schema names.
   */
  labelNames?: readonly string[] | 'schema';
  /**
   * A labelled assistant message none of whose labels is kept: an empty label (default `'empty'`,
   * `{}`, rendered as a bare `<extra_id_2>` line, as NeMo's `""`), or no label at all (`'none'`).
   */
  emptyLabels?: 'empty' | 'none';
  /**
   * Keep deleted messages (default true, as NeMo-Aligner's oasst script, which has no deleted filter);
   * false leaves a deleted message and its replies out.
   */
  includeDeleted?: boolean;
  /** Leave out messages whose review failed, with their replies (default false: SteerLM learns from them too). */
  requireReviewPassed?: boolean;
  /** Keep only messages in these languages (default: every language), e.g. ['en']. */
  languages?: readonly string[];
  /** The system prompt of the conversations (default: none, so templates use their default). */
  system?: string;
  /**
   * What to do with a message whose parent is not in the file (oasst1's per-language splits have a few):
   * leave it and its replies out, counted as orphaned (default), or treat it as an error.
   */
  onMissingParent?: 'exclude' | 'error';
}

/** One root-to-leaf thread of a tree: its conversation and the ids to split and resume by. */
export interface OasstThread {
  readonly treeId: string;
  /** The id of the thread's last message: with treeId, it names the thread. */
  readonly leafId: string;
  /** The ids of the thread's messages, root first. */
  readonly messageIds: readonly string[];
  readonly conversation: Conversation;
}

/** One assistant message with what came before it and its raw human labels: a sample for attribute predictors. */
export interface OasstResponse {
  readonly treeId: string;
  readonly messageId: string;
  /** The turns before the response, root first, without labels; the last one is the user's. */
  readonly context: readonly ConversationTurn[];
  readonly response: string;
  /** Every human label's mean in [0, 1], by name (not limited to the schema); `{}` when unlabeled. */
  readonly labels: Readonly<Record<string, number>>;
  /** How many annotators gave each label. */
  readonly labelCounts: Readonly<Record<string, number>>;
  readonly lang: string | undefined;
  readonly rank: number | null;
  readonly detoxify: Readonly<Record<string, number>> | null;
}

/** A tree's messages as a forest of kept messages, with what was left out and why. */
export interface OasstTreeStructure {
  readonly treeId: string;
  readonly roots: readonly OasstNode[];
  /** Messages left out by the options (deleted, failed review, language) or below a left-out or broken message. */
  readonly excluded: number;
  /** Messages whose parent is not in the tree, with their replies (left out unless `onMissingParent: 'error'`). */
  readonly orphaned: number;
  /** Messages that break the tree (duplicate id, roles that do not alternate, a cycle, a missing parent on request). */
  readonly errors: readonly DataFormatError[];
}

export interface OasstNode {
  readonly message: OasstMessage;
  readonly children: readonly OasstNode[];
}

/**
 * Returns the kept messages of a tree as a forest. Replies keep file order. A message is left out with
 * all its replies when the options exclude it or its parent is missing (orphaned); one whose id repeats,
 * whose role does not alternate with its parent's (roots must be prompts) or that sits on a parent_id
 * cycle is an error, its replies left out.
 */
export function buildOasstTree(tree: OasstTree, options: OasstConversationOptions = {}, file?: string): OasstTreeStructure {
  const errors: DataFormatError[] = [];
  const where = (message: OasstMessage) => (file !== undefined ? { file, line: message.line } : { line: message.line });
  const byId = new Map<string, OasstMessage>();
  const unique: OasstMessage[] = [];
  for (const message of tree.messages) {
    if (byId.has(message.messageId)) {
      errors.push(
        recordError(where(message), 'message_id', `message_id "${message.messageId}" appears twice in tree "${tree.treeId}"`, 'each message must appear once'),
      );
    } else {
      byId.set(message.messageId, message);
      unique.push(message);
    }
  }
  const replies = new Map<string, OasstMessage[]>();
  for (const message of unique) {
    if (message.parentId === null) continue;
    const siblings = replies.get(message.parentId);
    if (siblings) siblings.push(message);
    else replies.set(message.parentId, [message]);
  }
  const languages = options.languages ? new Set(options.languages) : undefined;
  const isExcluded = (message: OasstMessage) =>
    (message.deleted && options.includeDeleted === false) ||
    (options.requireReviewPassed === true && message.reviewResult !== true) ||
    (languages !== undefined && (message.lang === undefined || !languages.has(message.lang)));
  const visited = new Set<string>();
  let excluded = 0;
  let orphaned = 0;
  /** Marks a message and everything below it as visited and returns how many messages that is. */
  const leaveOut = (start: OasstMessage): number => {
    let count = 0;
    const stack = [start];
    while (stack.length > 0) {
      const message = stack.pop()!;
      if (visited.has(message.messageId)) continue;
      visited.add(message.messageId);
      count += 1;
      for (const reply of replies.get(message.messageId) ?? []) stack.push(reply);
    }
    return count;
  };
  /** Returns the node of a message and its kept replies, or undefined when it is left out. */
  const keep = (message: OasstMessage, parent: OasstMessage | undefined): OasstNode | undefined => {
    const role = parent === undefined ? 'prompter' : parent.role === 'prompter' ? 'assistant' : 'prompter';
    if (message.role !== role) {
      errors.push(
        recordError(
          where(message),
          'role',
          parent === undefined
            ? `a tree's root must be a prompter message, got "${message.role}"`
            : `a reply to a ${parent.role} message must be ${role === 'prompter' ? 'a prompter' : 'an assistant'} message, got "${message.role}"`,
        ),
      );
      excluded += leaveOut(message) - 1;
      return undefined;
    }
    if (isExcluded(message)) {
      excluded += leaveOut(message);
      return undefined;
    }
    visited.add(message.messageId);
    return { message, children: [] };
  };
  const roots: OasstNode[] = [];
  // Iterative depth-first build: deep chains cannot overflow the stack.
  const stack: { message: OasstMessage; parent: OasstNode | undefined }[] = [];
  for (const message of unique) if (message.parentId === null) stack.push({ message, parent: undefined });
  stack.reverse();
  while (stack.length > 0) {
    const { message, parent } = stack.pop()!;
    if (visited.has(message.messageId)) continue;
    const node = keep(message, parent?.message);
    if (!node) continue;
    if (parent) (parent.children as OasstNode[]).push(node);
    else roots.push(node);
    const children = replies.get(message.messageId) ?? [];
    for (let index = children.length - 1; index >= 0; index -= 1) stack.push({ message: children[index]!, parent: node });
  }
  for (const message of unique) {
    if (visited.has(message.messageId)) continue;
    // Climb to the highest unvisited ancestor: the message whose parent is missing, or a cycle.
    let top = message;
    const climbed = new Set([top.messageId]);
    let parent = top.parentId === null ? undefined : byId.get(top.parentId);
    while (parent !== undefined && !climbed.has(parent.messageId)) {
      climbed.add(parent.messageId);
      top = parent;
      parent = top.parentId === null ? undefined : byId.get(top.parentId);
    }
    if (parent === undefined && options.onMissingParent !== 'error') {
      orphaned += leaveOut(top);
      continue;
    }
    errors.push(
      parent === undefined
        ? recordError(
            where(top),
            'parent_id',
            `parent_id "${top.parentId}" is not a message of tree "${tree.treeId}"`,
            'the parent is missing from the file or its row was skipped as invalid',
          )
        : recordError(
            where(top),
            'parent_id',
            `message "${top.messageId}" is not connected to a root of tree "${tree.treeId}": its parent_id links form a cycle`,
          ),
    );
    excluded += leaveOut(top) - 1;
  }
  return { treeId: tree.treeId, roots, excluded, orphaned, errors };
}

/** NeMo-Aligner's OPEN_ASSISTANT_ATTRIBUTES: the oasst labels its preprocessing keeps. */
export const NEMO_OASST_LABELS: readonly string[] = Object.freeze(['quality', 'toxicity', 'humor', 'creativity']);

/** How oasstAttributes picks and fills labels. */
export type OasstLabelOptions = Pick<OasstConversationOptions, 'labelNames' | 'emptyLabels'>;

/**
 * Returns the attributes of an assistant message's labels: the kept label names (see
 * `labelNames`) that the schema has, each binned onto the attribute's range. A labelled message with
 * none of them gets `{}` (NeMo's empty label `""`) unless `emptyLabels: 'none'`; a message without
 * labels, or a prompt, gets undefined.
 */
export function oasstAttributes(message: OasstMessage, schema: AttributeSchema = STEERLM, options: OasstLabelOptions = {}): AttributeValues | undefined {
  if (message.role !== 'assistant' || message.labels === null) return undefined;
  const names = options.labelNames === 'schema' ? undefined : new Set(options.labelNames ?? NEMO_OASST_LABELS);
  const values: Record<string, number> = {};
  let any = false;
  for (const definition of schema.attributes) {
    if (names !== undefined && !names.has(definition.name)) continue;
    const value = message.labels[definition.name];
    if (value === undefined) continue;
    values[definition.name] = definition.min + toBins(value, definition.max - definition.min + 1);
    any = true;
  }
  if (!any && options.emptyLabels === 'none') return undefined;
  return Object.freeze(values);
}

function toTurn(message: OasstMessage, schema: AttributeSchema | undefined, options: OasstLabelOptions = {}): ConversationTurn {
  if (message.role === 'prompter') return { role: 'user', text: message.text };
  const attributes = schema === undefined ? undefined : oasstAttributes(message, schema, options);
  return attributes === undefined ? { role: 'assistant', text: message.text } : { role: 'assistant', text: message.text, attributes };
}

/** Visits every kept message with the path of messages from its root down to it (itself last). */
function walk(structure: OasstTreeStructure, visit: (path: readonly OasstMessage[], node: OasstNode) => void): void {
  const stack: { node: OasstNode; depth: number }[] = [...structure.roots].reverse().map((node) => ({ node, depth: 0 }));
  const path: OasstMessage[] = [];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    path.length = depth;
    path.push(node.message);
    visit(path, node);
    for (let index = node.children.length - 1; index >= 0; index -= 1) stack.push({ node: node.children[index]!, depth: depth + 1 });
  }
}

/**
 * Returns every root-to-leaf thread of a built tree as a conversation, depth first in file order, except
 * single-message threads (a prompt nobody answered). Only assistant turns carry labels.
 */
export function oasstTreeThreads(structure: OasstTreeStructure, options: OasstConversationOptions = {}): OasstThread[] {
  const schema = options.schema ?? STEERLM;
  const threads: OasstThread[] = [];
  walk(structure, (path, node) => {
    if (node.children.length > 0 || path.length < 2) return;
    const conversation: Conversation = {
      ...(options.system !== undefined ? { system: options.system } : {}),
      turns: path.map((message) => toTurn(message, schema, options)),
    };
    threads.push({ treeId: structure.treeId, leafId: node.message.messageId, messageIds: path.map((message) => message.messageId), conversation });
  });
  return threads;
}

/** Returns one item per kept assistant message of a built tree (labeled ones only unless `includeUnlabeled`). */
export function oasstTreeResponses(structure: OasstTreeStructure, options: { includeUnlabeled?: boolean } = {}): OasstResponse[] {
  const responses: OasstResponse[] = [];
  walk(structure, (path, node) => {
    const message = node.message;
    if (message.role !== 'assistant' || (message.labels === null && !options.includeUnlabeled)) return;
    responses.push({
      treeId: structure.treeId,
      messageId: message.messageId,
      context: path.slice(0, -1).map((earlier) => toTurn(earlier, undefined)),
      response: message.text,
      labels: message.labels ?? {},
      labelCounts: message.labelCounts ?? {},
      lang: message.lang,
      rank: message.rank,
      detoxify: message.detoxify,
    });
  });
  return responses;
}

/** What an oasst1 reader has seen so far; final once iteration ends. */
export interface OasstReport {
  /** Lines read from the source. */
  lines: number;
  /** Valid message rows. */
  rows: number;
  /**
   * Rows that were malformed, rows of a tree that reappeared in a contiguous read, and messages that
   * broke their tree (only with `onError: 'skip'`).
   */
  skipped: number;
  /** Messages left out by the options or below a left-out or broken message. */
  excluded: number;
  /** Messages left out because their parent is not in the file, with their replies. */
  orphaned: number;
  trees: number;
  /** Items yielded (threads or responses). */
  yielded: number;
  /** The first errors (at most 10), each located by file, line and field. */
  firstErrors: DataFormatError[];
}

export interface ReadOasstOptions extends OasstConversationOptions {
  /** Throw at the first malformed row or broken tree (default), or skip it and count it in the report. */
  onError?: 'throw' | 'skip';
  maxLineBytes?: number;
  /** The file name errors name (default: the path when the source is one). */
  file?: string;
  /** How rows are gathered into trees (default `auto`); see OasstGrouping. */
  grouping?: OasstGrouping;
}

/** A streaming, single-use reader of items built from oasst1 trees: iterate it, then read `report`. */
export class OasstReader<T> implements AsyncIterable<T> {
  readonly report: OasstReport = { lines: 0, rows: 0, skipped: 0, excluded: 0, orphaned: 0, trees: 0, yielded: 0, firstErrors: [] };
  readonly #source: JsonlSource;
  readonly #options: ReadOasstOptions;
  readonly #items: (structure: OasstTreeStructure) => T[];
  #started = false;

  constructor(source: JsonlSource, options: ReadOasstOptions, items: (structure: OasstTreeStructure) => T[]) {
    const grouping = options.grouping ?? 'auto';
    if (grouping !== 'auto' && grouping !== 'contiguous' && grouping !== 'buffered') {
      throw new InvalidOptionError(`grouping must be "auto", "contiguous" or "buffered", got ${JSON.stringify(grouping)}`, { option: 'grouping' });
    }
    this.#source = source;
    this.#options = options;
    this.#items = items;
  }

  /** Returns the iterator over the items; a reader can be iterated once. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#started) throw new InvalidOptionError('an oasst1 reader can be iterated only once', { hint: 'create a new reader to read the source again' });
    this.#started = true;
    return this.#run();
  }

  #skip(error: DataFormatError): void {
    if (this.#options.onError !== 'skip') throw error;
    this.report.skipped += 1;
    if (this.report.firstErrors.length < REPORTED_ERRORS) this.report.firstErrors.push(error);
  }

  async *#run(): AsyncGenerator<T> {
    const options = this.#options;
    const file = options.file ?? (typeof this.#source === 'string' ? this.#source : undefined);
    const limit = options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {};
    const grouping = await resolveGrouping(this.#source, options.grouping ?? 'auto', limit);
    const rows = readOasstMessages(this.#source, {
      ...limit,
      ...(file !== undefined ? { file } : {}),
      onError: options.onError ?? 'throw',
      onSkip: (error) => this.#skip(error),
    });
    const sync = () => {
      this.report.lines = rows.report.lines;
      this.report.rows = rows.report.yielded;
    };
    const onReappear = options.onError === 'skip' ? (error: DataFormatError) => this.#skip(error) : undefined;
    for await (const tree of groupOasstTrees(rows, grouping, { ...(file !== undefined ? { file } : {}), ...(onReappear ? { onReappear } : {}) })) {
      sync();
      this.report.trees += 1;
      const structure = buildOasstTree(tree, options, file);
      for (const error of structure.errors) this.#skip(error);
      this.report.excluded += structure.excluded;
      this.report.orphaned += structure.orphaned;
      for (const item of this.#items(structure)) {
        this.report.yielded += 1;
        yield item;
      }
    }
    sync();
  }
}

/**
 * Returns a streaming reader of every root-to-leaf thread (two messages or more) of an oasst1 message
 * file, with binned labels on assistant turns; one tree is held in memory at a time when the file is
 * grouped by tree.
 */
export function readOasstThreads(source: JsonlSource, options: ReadOasstOptions = {}): OasstReader<OasstThread> {
  return new OasstReader(source, options, (structure) => oasstTreeThreads(structure, options));
}

/** Returns a streaming reader of one item per assistant message (context, response, raw [0, 1] labels, ids). */
export function readOasstResponses(source: JsonlSource, options: ReadOasstOptions & { includeUnlabeled?: boolean } = {}): OasstReader<OasstResponse> {
  return new OasstReader(source, options, (structure) => oasstTreeResponses(structure, options));
}
