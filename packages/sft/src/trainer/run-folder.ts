/**
 * A training run folder: checkpoints, metrics.jsonl, loss-curve.svg, run.json (the run's status) and, from
 * the CLI, final/. One folder holds one run: starting another there needs `overwrite`, continuing it
 * `resume`, and a resume only continues the run that wrote the checkpoint (same data, same options).
 */
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError, TrainingError } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import { listCheckpoints, readCheckpointState, type CheckpointState } from './checkpoint';
import { fingerprintDifferences, type RunFingerprint } from './run-fingerprint';

/** The status file of a run folder. */
export const RUN_STATUS_FILE = 'run.json';

/** The entries of a run folder the trainer writes (besides `checkpoint-*` folders). */
const RUN_ENTRIES = [RUN_STATUS_FILE, 'metrics.jsonl', 'loss-curve.svg', 'final'];

/** How a run stands, as written to run.json (and by the CLI to final/run.json). */
export interface RunStatus {
  status: 'running' | 'completed' | 'interrupted' | 'failed';
  /** Whether all planned steps were done. */
  completed: boolean;
  steps: number;
  totalSteps: number;
  /** The checkpoint the run continued from, when it was resumed. */
  resumedFrom?: { checkpoint: string; step: number };
  /** The failure's message, for status 'failed'. */
  error?: string;
  fingerprint?: RunFingerprint;
  updatedAt: string;
}

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
  EISDIR: 'it is a folder',
};

/** Returns "permission denied (EACCES)" for a Node file-system error, else its message. */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && ERRNO_TEXT[code] !== undefined) return `${ERRNO_TEXT[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** Creates `directory` if needed and checks a file can be written in it; else a located InvalidOptionError. */
export async function ensureWritableFolder(directory: string, option = 'output'): Promise<void> {
  const probe = join(directory, `.steerlm-write-test-${process.pid}`);
  try {
    await mkdir(directory, { recursive: true });
    const handle = await open(probe, 'w');
    await handle.close();
    await rm(probe, { force: true });
  } catch (cause) {
    throw new InvalidOptionError(`cannot write to this folder: ${describeFileError(cause)}`, {
      option,
      file: directory,
      hint: `choose another --${option}, or make the folder writable for this user`,
      cause,
    });
  }
}

/** Returns the names of run entries in `directory` (checkpoints, metrics, run.json, final/, plus `extra`). */
export async function runFolderEntries(directory: string, extra: readonly string[] = []): Promise<string[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const known = new Set([...RUN_ENTRIES, ...extra]);
  return names.filter((name) => known.has(name) || name.startsWith('checkpoint-')).sort();
}

/** Options of {@link prepareRunFolder}. */
export interface PrepareRunFolderOptions {
  /** The run is being continued: an existing run is expected. */
  resume?: boolean;
  /** Delete an existing run's entries first. */
  overwrite?: boolean;
  /** More entry names that belong to a run (the CLI's `base/`). */
  extraEntries?: readonly string[];
}

/**
 * Makes `directory` ready for a run: creates it and checks it is writable, then refuses it when it holds
 * another run, unless `resume` (continue that run) or `overwrite` (delete that run's entries first).
 */
export async function prepareRunFolder(directory: string, options: PrepareRunFolderOptions = {}): Promise<void> {
  if (options.resume && options.overwrite) {
    throw new InvalidOptionError('resume and overwrite exclude each other', {
      option: 'overwrite',
      hint: 'give --resume to continue the run, or --overwrite to start it again',
    });
  }
  // A resume of a folder that does not exist fails in findResumeCheckpoint, saying so; do not create it.
  if (options.resume && !(await stat(directory).catch(() => undefined))) return;
  await ensureWritableFolder(directory);
  if (options.resume) return;
  const found = await runFolderEntries(directory, options.extraEntries);
  if (found.length === 0) return;
  if (!options.overwrite) {
    const shown = found.length > 4 ? `${found.slice(0, 4).join(', ')}, …` : found.join(', ');
    throw new InvalidOptionError(`this output folder holds another run (${shown})`, {
      option: 'output',
      file: directory,
      hint: 'continue it with --resume, replace it with --overwrite (API: resume / overwrite: true), or choose a new output folder',
    });
  }
  for (const name of found) await rm(join(directory, name), { recursive: true, force: true });
}

/**
 * Returns the checkpoint a resume from `path` starts at: the newest checkpoint in a run folder, or
 * `path` itself when it is a checkpoint folder. A folder without one gets a TrainingError that says so.
 */
export async function findResumeCheckpoint(path: string): Promise<string> {
  const candidates = await listCheckpoints(path);
  if (candidates.length > 0) return candidates.at(-1)!;
  if (await stat(join(path, 'state.json')).catch(() => undefined)) return path;
  const exists = (await stat(path).catch(() => undefined)) !== undefined;
  throw new TrainingError(
    exists ? 'nothing to resume here: the run stopped before its first checkpoint was written' : 'nothing to resume: the folder does not exist',
    {
      file: path,
      hint: exists
        ? 'start the run again with --overwrite (API: overwrite: true); --checkpoint-every N checkpoints more often'
        : 'check the output folder, or drop --resume to start a new run',
    },
  );
}

/** Reads the state of `checkpoint` and checks it was made by a run of fingerprint `fingerprint`. */
export async function checkResumable(checkpoint: string, fingerprint: string): Promise<CheckpointState> {
  const state = await readCheckpointState(checkpoint);
  const differences = fingerprintDifferences(state.fingerprint, fingerprint);
  if (differences.length > 0) {
    throw new TrainingError(`checkpoint ${checkpoint} was made by another run: ${differences.join('; ')}`, {
      checkpoint,
      hint: 'resume with the data and options of the original run, or start a new run with --overwrite or another output folder',
    });
  }
  return state;
}

/**
 * Cuts `metrics.jsonl` back to the rows of steps up to `step` (those the resumed checkpoint has seen),
 * dropping a torn last line; returns how many rows were dropped. Written atomically.
 */
export async function truncateMetrics(file: string, step: number): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return 0;
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or a torn last line
  const kept = lines.filter((line) => {
    try {
      const row = JSON.parse(line) as { step?: unknown };
      return typeof row.step === 'number' && row.step <= step;
    } catch {
      return false;
    }
  });
  const dropped = text.split('\n').filter((line) => line !== '').length - kept.length;
  if (dropped > 0) await writeTextFileAtomically(file, kept.map((line) => `${line}\n`).join(''));
  return dropped;
}

/** Writes a run status file atomically (run.json of a run folder, or final/run.json). */
export async function writeRunStatus(file: string, status: Omit<RunStatus, 'updatedAt'>): Promise<void> {
  await writeTextFileAtomically(file, `${JSON.stringify({ ...status, updatedAt: new Date().toISOString() }, null, 2)}\n`);
}

/** Returns a run folder's status, or undefined when it has none. */
export async function readRunStatus(directory: string): Promise<RunStatus | undefined> {
  const text = await readFile(join(directory, RUN_STATUS_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as RunStatus;
  } catch {
    return undefined;
  }
}
