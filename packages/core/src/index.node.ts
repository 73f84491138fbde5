// `@steerlm/core` as Node resolves it (the `node` export condition): the browser-safe root, with file
// paths readable by the JSONL and format readers. Browsers get ./index.ts, which imports no Node built-in.
import './node/install-file-reader';

export * from './index';
