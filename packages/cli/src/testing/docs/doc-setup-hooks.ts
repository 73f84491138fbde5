import { join } from 'node:path';
import { startMockHub } from '@steerlm/test-server';
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
  /**
   * `setup hub REPO=FOLDER …`: a local stand-in for the Hugging Face Hub (the test server's mock Hub, no
   * network) serves each fixture FOLDER as the Hub repo REPO; `HF_ENDPOINT` points at it and `HF_HUB_CACHE`
   * at the fixture's `.hf-cache`, shared by the blocks (so a later block finds what an earlier one fetched).
   */
  hub: async (args, context) => {
    const hub = await startMockHub();
    for (const pair of args) {
      const [repo, folder] = pair.split('=');
      if (!repo || !folder) throw new Error(`setup hub: "${pair}" is not REPO=FOLDER`);
      await hub.addRepo(repo, join(context.folder, folder));
    }
    process.env.HF_ENDPOINT = hub.url;
    process.env.HF_HUB_CACHE = join(context.folder, '.hf-cache');
    delete process.env.HF_HUB_OFFLINE;
    return () => hub.close();
  },
};
