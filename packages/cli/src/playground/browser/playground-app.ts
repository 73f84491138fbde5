/**
 * The browser bundle of the static playground (`steerlm playground`): loads the model folder the user
 * picks into onnxruntime-web and answers the page's requests in the page. The page's own script (the
 * sliders, shared with the server playground) finds it at `window.steerlmPlayground` and learns the
 * schema from a `steerlm-model` event.
 */
import * as ortWeb from 'onnxruntime-web';
import type { OrtModule } from '@steerlm/sft/browser';
import { InPageModel, type InPageExecutionProvider, type InPageSteerProgress, type InPageSteerRequest, type ModelFolderFile } from './in-page-model';

/** What the page's script calls. */
export interface PlaygroundBackend {
  /** Yields the answer as it grows (the last item has `done: true`). */
  steer(request: InPageSteerRequest): AsyncGenerator<InPageSteerProgress>;
}

declare global {
  interface Window {
    steerlmPlayground?: PlaygroundBackend;
  }
}

// onnxruntime-web and onnxruntime-node share onnxruntime-common's API; @steerlm/sft types it as the Node module.
const ort = ortWeb as unknown as OrtModule;
let model: InPageModel | undefined;
/** In-page decodes run one at a time: an onnxruntime-web session runs one graph call at a time. */
let queue: Promise<unknown> = Promise.resolve();

const byId = (id: string) => document.getElementById(id);

function setStatus(text: string): void {
  const status = byId('status');
  if (status) status.textContent = text;
}

function folderFiles(list: FileList): ModelFolderFile[] {
  return Array.from(list).map((file) => ({ name: file.webkitRelativePath || file.name, bytes: async () => new Uint8Array(await file.arrayBuffer()) }));
}

async function loadModel(list: FileList | null): Promise<void> {
  if (!list || list.length === 0) return;
  setStatus(`Loading ${list.length} files…`);
  const started = performance.now();
  try {
    const query = new URLSearchParams(location.search);
    const requested = query.get('ep');
    const providers = requested === 'wasm' || requested === 'webgpu' ? [requested as InPageExecutionProvider] : undefined;
    const threads = Number(query.get('threads'));
    const loaded = await InPageModel.load(ort, folderFiles(list), {
      ...(providers ? { executionProviders: providers } : {}),
      ...(Number.isInteger(threads) && threads > 0 ? { threads } : {}),
    });
    await model?.release();
    model = loaded;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const schemaNote = loaded.schemaSource === 'default' ? ' (no steerlm.json picked: the steerlm schema)' : '';
    document.body.dataset.executionProvider = loaded.executionProvider;
    window.dispatchEvent(
      new CustomEvent('steerlm-model', {
        detail: {
          model: 'in-page',
          template: loaded.template.name,
          attributes: loaded.schema.attributes.map((definition) => ({
            name: definition.name,
            min: definition.min,
            max: definition.max,
            default: definition.default ?? null,
            description: definition.description ?? null,
          })),
          limits: { max_tokens: loaded.maxPositions },
          note: `Loaded in ${seconds} s on onnxruntime-web ${loaded.executionProvider}${schemaNote}.`,
        },
      }),
    );
  } catch (error) {
    setStatus(`Cannot load the model: ${(error as Error).message}`);
  }
}

window.steerlmPlayground = {
  async *steer(request) {
    const current = model;
    if (!current) throw new Error('load a model folder first');
    let release!: () => void;
    const previous = queue;
    queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      yield* current.steer(request);
    } finally {
      release();
    }
  },
};

for (const id of ['model-files', 'model-folder']) {
  const input = byId(id) as HTMLInputElement | null;
  input?.addEventListener('change', () => void loadModel(input.files));
}
document.body.dataset.playgroundApp = 'ready';
