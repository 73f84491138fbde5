import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guidedPrompts, STEERLM, steerlmTemplate, type AttributeGuidance } from '@steerlm/core';
import {
  exportOnnx,
  generateTokens,
  LocalLanguageModel,
  OnnxruntimeDecoder,
  selectBackend,
  tokenizerFromJson,
  trainByteLevelBpe,
  byteLevelBpeTokenizerConfig,
  byteLevelBpeTokenizerJson,
  type TransformersTokenizer,
} from '@steerlm/sft';
import { writeSteeringSettings } from '../models';
import { playgroundPage } from '../server/playground-page';
import { launchHeadlessChromium, NO_CHROMIUM as noBrowser, RUN_IN_CHROMIUM as runInBrowser } from '../testing/headless-chromium';
import { tinyByteLanguageModel } from '../testing/tiny-byte-model';
import type { InPageDecodeReport } from './browser/in-page-model';
import { servePlaygroundFolder, type PlaygroundFolderServer } from './serve-playground-folder';
import { writePlaygroundFolder } from './write-playground-folder';

// WebGPU in headless Chromium runs on SwiftShader (the CPU): correct but 15-60 s here, so it runs on request.
const runOnWebGpu = process.env.STEERLM_BROWSER_WEBGPU === '1';
const noWebGpu = 'the WebGPU case runs with STEERLM_BROWSER_WEBGPU=1 (SwiftShader WebGPU on the CPU takes 15-60 s)';

const PROMPT = 'Tell me a joke about cats.';
const MAX_TOKENS = 12;
/** The sliders' starting values: each attribute's default, else its minimum (as the page sets them). */
const START = Object.fromEntries(STEERLM.attributes.map((definition) => [definition.name, definition.default ?? definition.min]));

describe('playground page in its in-page mode', () => {
  it('loads the bundle beside it and offers a model folder picker, top-p, top-k and seed', () => {
    const html = playgroundPage({ modelId: 'in this page', needsApiKey: false, inPage: true });
    expect(html).toContain('<script type="module" src="./playground.js"></script>');
    expect(html).toContain('data-mode="in-page"');
    for (const id of ['model-folder', 'model-files', 'top-p', 'top-k', 'seed']) expect(html).toContain(`id="${id}"`);
    expect(html).not.toMatch(/https?:\/\//);
    // The server's page stays self-contained.
    expect(playgroundPage({ modelId: 'm', needsApiKey: false })).not.toContain('<script type="module"');
  });
});

describe('steering inside headless Chromium (onnxruntime-web)', () => {
  let folder: string;
  let lm: LocalLanguageModel;
  let tokenizer: TransformersTokenizer;
  let server: PlaygroundFolderServer;
  let browser: Browser;
  let modelFiles: string[];

  beforeAll(async () => {
    if (!runInBrowser) return;
    folder = await mkdtemp(join(tmpdir(), 'steerlm-in-page-'));
    await selectBackend({ prefer: 'cpu', strict: true });
    const corpus = Array.from({ length: 120 }, (_, index) => `a chat between a user and an assistant, answer number ${index} tells a joke about cats`);
    const trained = await trainByteLevelBpe(corpus, { vocabSize: 300 });
    tokenizer = await tokenizerFromJson(byteLevelBpeTokenizerJson(trained), byteLevelBpeTokenizerConfig(trained));
    const tiny = tinyByteLanguageModel({ positions: 512, seed: 5, tokenizer, vocabSize: tokenizer.vocabSize });
    lm = new LocalLanguageModel(tiny.model, tokenizer, { engine: 'onnxruntime' });
    const modelFolder = join(folder, 'exported');
    await exportOnnx(lm.model, tokenizer, modelFolder);
    await writeSteeringSettings(modelFolder, { schema: STEERLM, schemaName: 'steerlm', template: steerlmTemplate });
    modelFiles = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'steerlm.json', 'onnx/model.onnx'].map((file) =>
      join(modelFolder, file),
    );
    const site = join(folder, 'site');
    await writePlaygroundFolder(site);
    server = await servePlaygroundFolder(site, { port: 0 });
    browser = await launchHeadlessChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    lm?.model.dispose();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  /** The guided prompt rows of the page's request (the prompts and weights it must decode). */
  function guidedRows(attributes: Record<string, number>, guidance?: AttributeGuidance) {
    return guidedPrompts({ prompt: PROMPT, attributes, schema: STEERLM, template: steerlmTemplate, ...(guidance ? { guidance } : {}) }).rows;
  }

  /** The Node onnxruntime decode of the page's request: the tokens of the guided rows (greedy unless `sampling`). */
  async function nodeTokens(
    attributes: Record<string, number>,
    guidance?: AttributeGuidance,
    sampling: { temperature: number; topP?: number; topK?: number; seed?: number } = { temperature: 0 },
  ): Promise<number[]> {
    const guided = { rows: guidedRows(attributes, guidance) };
    const rows = guided.rows.map(({ prompt }) => tokenizer.encode(prompt));
    const decoder = await OnnxruntimeDecoder.create(lm.model);
    const tokens: number[] = [];
    try {
      for await (const step of generateTokens(decoder.startDecode(), rows, {
        maxTokens: MAX_TOKENS,
        ...sampling,
        ...(rows.length > 1 ? { groups: [guided.rows.map(({ weight }, row) => ({ row, weight }))] } : {}),
        ...(tokenizer.eosTokenId !== undefined ? { stopTokenIds: [tokenizer.eosTokenId] } : {}),
      })) {
        if (step.tokens[0] !== undefined) tokens.push(step.tokens[0]);
      }
    } finally {
      decoder.release();
    }
    return tokens;
  }

  async function send(page: Page): Promise<{ tokens: number[]; text: string; rows: unknown; decode: InPageDecodeReport }> {
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Done.', undefined, { timeout: 40_000 });
    const output = page.locator('#output-a');
    const tokens = JSON.parse((await output.getAttribute('data-tokens')) ?? 'null') as number[];
    const rows = JSON.parse((await output.getAttribute('data-rows')) ?? 'null') as unknown;
    const decode = JSON.parse((await output.getAttribute('data-decode')) ?? 'null') as InPageDecodeReport;
    return { tokens, text: (await output.textContent()) ?? '', rows, decode };
  }

  /** The bytes of float32 logits for `rows` prompt rows of `positions` positions each (the exported graph returns every position's). */
  const logitsBytes = (rows: number, positions = 1) => rows * positions * lm.model.config.vocabSize * 4;

  it('loads an exported tiny model from picked files and decodes the greedy tokens of Node onnxruntime, sliders and guidance included', async (ctx) => {
    if (!runInBrowser) ctx.skip(noBrowser);
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') failures.push(message.text());
    });
    // No network: only the local static server answers.
    const outside: string[] = [];
    await page.route('**/*', (route) =>
      route.request().url().startsWith(server.url) ? route.continue() : (outside.push(route.request().url()), route.abort()),
    );
    await page.goto(`${server.url}?ep=wasm`);
    await page.waitForFunction(() => document.body.dataset.playgroundApp === 'ready');
    expect(await page.isDisabled('#send')).toBe(true);

    await page.setInputFiles('#model-files', modelFiles);
    await page.waitForSelector('#slider-a-humor', { timeout: 20_000 });
    expect(await page.locator('#sliders-a input[type=range]').count()).toBe(STEERLM.attributes.length);
    expect(await page.textContent('#status')).toContain('onnxruntime-web wasm');
    expect(await page.evaluate(() => document.body.dataset.executionProvider)).toBe('wasm');

    await page.fill('#temperature', '0');
    await page.fill('#max-tokens', String(MAX_TOKENS));

    // Move a slider: humor 4 in setting A; setting B keeps the defaults. Both decode (one after the other).
    await page.locator('#slider-a-humor').fill('4');
    expect(await page.textContent('#label-a')).toContain('humor:4');
    const humor4 = await send(page);
    const b = JSON.parse((await page.locator('#output-b').getAttribute('data-tokens')) ?? 'null') as number[];
    expect(b).toEqual(await nodeTokens(START));
    await page.uncheck('#compare');
    expect(humor4.rows).toEqual(guidedRows({ ...START, humor: 4 }));
    expect(humor4.tokens).toEqual(await nodeTokens({ ...START, humor: 4 }));
    expect(humor4.tokens.length).toBeGreaterThan(0);
    // On wasm the cache comes back to the CPU every step, as it always did: one prefill run, then one run per further token.
    expect(humor4.decode).toMatchObject({ executionProvider: 'wasm', kvCache: 'cpu', runs: humor4.tokens.length, gpuTensorsAlive: 0 });
    expect(humor4.decode.cacheOutputsOnCpu.every((count) => count === 2 * lm.model.config.numHiddenLayers)).toBe(true);
    // The same text as the Node model's steer() on the onnxruntime engine.
    const nodeText = await lm.steer(
      { prompt: PROMPT, attributes: { ...START, humor: 4 }, schema: STEERLM, template: steerlmTemplate },
      { temperature: 0, maxTokens: MAX_TOKENS },
    );
    expect(humor4.text).toBe(nodeText.text);

    // Another label decodes other tokens (the slider reaches the prompt).
    await page.locator('#slider-a-humor').fill('0');
    const humor0 = await send(page);
    expect(humor0.rows).toEqual(guidedRows({ ...START, humor: 0 }));
    expect(humor0.tokens).toEqual(await nodeTokens({ ...START, humor: 0 }));

    // Sampling: temperature, top-k, top-p and the seed go through the same sampling code as in Node.
    await page.fill('#temperature', '0.9');
    await page.fill('#top-k', '40');
    await page.fill('#top-p', '0.95');
    await page.fill('#seed', '11');
    const sampled = await send(page);
    const sampling = { temperature: 0.9, topK: 40, topP: 0.95, seed: 11 };
    expect(sampled.tokens).toEqual(await nodeTokens({ ...START, humor: 0 }, undefined, sampling));
    expect(sampled.tokens).not.toEqual(humor0.tokens);
    await page.fill('#temperature', '0');

    // Guidance 2.5 with an interpolated humor 1.5: three rows mixed in one batch, as in Node.
    await page.check('#half-steps');
    await page.locator('#slider-a-humor').fill('1.5');
    await page.locator('#guidance-a').fill('2.5');
    const guided = await send(page);
    expect(guided.rows).toHaveLength(3); // humor 1 and humor 2 (interpolated), and the unlabelled prompt
    expect(guided.rows).toEqual(guidedRows({ ...START, humor: 1.5 }, { scale: 2.5 }));
    expect(guided.tokens).toEqual(await nodeTokens({ ...START, humor: 1.5 }, { scale: 2.5 }));

    expect(outside).toEqual([]);
    expect(failures).toEqual([]);
    await page.close();
  }, 60_000);

  it('runs on the WebGPU provider where the browser has WebGPU (SwiftShader here), with the greedy tokens of Node', async (ctx) => {
    if (!runInBrowser) ctx.skip(noBrowser);
    if (!runOnWebGpu) ctx.skip(noWebGpu);
    const gpuBrowser = await launchHeadlessChromium(['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']);
    try {
      const page = await gpuBrowser.newPage();
      const failures: string[] = [];
      page.on('pageerror', (error) => failures.push(error.message));
      await page.goto(server.url);
      const adapter = await page.evaluate(async () =>
        Boolean(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()),
      );
      if (!adapter) ctx.skip('this Chromium offers no WebGPU adapter');
      await page.waitForFunction(() => document.body.dataset.playgroundApp === 'ready');
      await page.setInputFiles('#model-files', modelFiles);
      await page.waitForSelector('#slider-a-humor', { timeout: 30_000 });
      // No ?ep=: WebGPU is tried first where navigator.gpu exists.
      expect(await page.evaluate(() => document.body.dataset.executionProvider)).toBe('webgpu');
      expect(await page.textContent('#status')).toContain('onnxruntime-web webgpu');
      await page.uncheck('#compare');
      await page.fill('#temperature', '0');
      await page.fill('#max-tokens', String(MAX_TOKENS));
      await page.locator('#slider-a-humor').fill('4');
      const humor4 = await send(page);
      expect(humor4.tokens).toEqual(await nodeTokens({ ...START, humor: 4 }));
      // The key/value cache stays on the GPU: each step is fed the previous step's GPU outputs and reads back
      // only its logits row [1, 1, V] (the prefill, every position's logits); every GPU tensor is freed at the end.
      const promptTokens = tokenizer.encode(guidedRows({ ...START, humor: 4 })[0]!.prompt).length;
      const steps = humor4.tokens.length - 1;
      expect(humor4.decode).toEqual({
        executionProvider: 'webgpu',
        kvCache: 'gpu-buffer',
        runs: 1 + steps,
        readBytes: [logitsBytes(1, promptTokens), ...new Array<number>(steps).fill(logitsBytes(1))],
        cacheOutputsOnCpu: new Array<number>(1 + steps).fill(0),
        cacheInputsFromCpu: new Array<number>(1 + steps).fill(0),
        gpuTensorsAlive: 0,
        firstTokenSeconds: expect.any(Number),
        seconds: expect.any(Number),
        decodeTokensPerSecond: expect.any(Number),
      });
      expect(humor4.decode.decodeTokensPerSecond).toBeGreaterThan(0);
      // Guidance 2.5 with an interpolated humor 1.5: three rows in one batch, each step reading back three logits rows.
      await page.check('#half-steps');
      await page.locator('#slider-a-humor').fill('1.5');
      await page.locator('#guidance-a').fill('2.5');
      const guided = await send(page);
      expect(guided.tokens).toEqual(await nodeTokens({ ...START, humor: 1.5 }, { scale: 2.5 }));
      expect(guided.decode).toMatchObject({ kvCache: 'gpu-buffer', runs: guided.tokens.length, gpuTensorsAlive: 0 });
      expect(guided.decode.readBytes.slice(1)).toEqual(new Array<number>(guided.tokens.length - 1).fill(logitsBytes(3)));
      expect(failures).toEqual([]);
    } finally {
      await gpuBrowser.close();
    }
  }, 120_000);

  it('says which file is missing when the pick is incomplete', async (ctx) => {
    if (!runInBrowser) ctx.skip(noBrowser);
    const page = await browser.newPage();
    await page.goto(`${server.url}?ep=wasm`);
    await page.waitForFunction(() => document.body.dataset.playgroundApp === 'ready');
    await page.setInputFiles(
      '#model-files',
      modelFiles.filter((file) => !file.endsWith('model.onnx')),
    );
    await page.waitForFunction(() => (document.getElementById('status')?.textContent ?? '').startsWith('Cannot load the model'));
    expect(await page.textContent('#status')).toContain('lack onnx/model.onnx');
    expect(await page.isDisabled('#send')).toBe(true);
    await page.close();
  });

  it('writes the folder a static server serves', async (ctx) => {
    if (!runInBrowser) ctx.skip(noBrowser);
    const index = await fetch(server.url).then((response) => response.text());
    expect(index).toContain('data-mode="in-page"');
    const wasm = await fetch(`${server.url}ort-wasm-simd-threaded.jsep.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(wasm.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    await wasm.arrayBuffer();
    expect((await readFile(join(folder, 'site', 'playground.js'), 'utf8')).length).toBeGreaterThan(100_000);
  });
});
