import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The browser-safe root (index) and the Node-only `@steerlm/bootstrap/node` (runs writing JSONL), sharing chunks.
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/node.ts'] });
