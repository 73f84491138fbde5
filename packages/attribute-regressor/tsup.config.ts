import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// Three entries sharing chunks: the browser-safe root (index), the same root for Node with files readable
// and writable (index.node, the `node` export condition), and the Node-only `@steerlm/attribute-regressor/node`.
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/index.node.ts', 'src/node.ts'] });
