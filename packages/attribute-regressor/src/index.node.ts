// `@steerlm/attribute-regressor` as Node resolves it (the `node` export condition): the browser-safe root,
// with AttributePredictor.save/load/annotate and the use-lite and transformers featurizers working on
// files. Browsers get ./index.ts, which imports no Node built-in.
import './node/install-node-support';

export * from './index';
