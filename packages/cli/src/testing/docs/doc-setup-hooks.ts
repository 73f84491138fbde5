import { startDocServer, type DocSetupHook } from './run-doc-block';

/**
 * The setup hooks a doc block may name in `<!-- docs-test: setup NAME ARGS -->` (or a file, in such a
 * comment that is not just above a fence). A hook gets the words after NAME and the run's context (the
 * fixture folder, the running servers), may start servers and set `process.env` (e.g. `HF_ENDPOINT` for a
 * local Hub; the runner restores the environment after the block, and subprocesses inherit it), and returns
 * what stops them.
 */
export const DOC_SETUP_HOOKS: Readonly<Record<string, DocSetupHook>> = {
  /** `setup serve ARGS`: `steerlm serve ARGS` runs for the block, on a free port mapped from the one ARGS names (default 8000). */
  serve: async (args, context) => {
    const server = await startDocServer(['serve', ...args], context);
    return async () => {
      const result = await server.stop();
      if (result.code !== 0) throw new Error(`serve (setup) stopped with exit code ${result.code}: ${result.stderr.slice(-2000)}`);
    };
  },
};
