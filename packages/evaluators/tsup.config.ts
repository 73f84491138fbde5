import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The browser-safe root (index) and the Node-only `@steerlm/evaluators/node` (report files), sharing chunks.
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/node.ts'] });
