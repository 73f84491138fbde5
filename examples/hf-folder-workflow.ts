/**
 * A Hugging Face model folder, end to end: load a Llama folder, steer-generate with attributes,
 * LoRA-fine-tune it on attribute-conditioned conversations, merge, export for transformers.js and
 * generate with transformers.js from the export — all offline, on the CPU.
 *
 *   node --import tsx examples/hf-folder-workflow.ts [--work-dir DIR] [--hidden 128] [--layers 4] [--steps 30]
 *
 * So that it runs anywhere without a download, the script first makes its own small folder (random
 * weights and a byte-level BPE tokenizer with the SteerLM special tokens). With a real model, skip
 * step 0 and point `modelFolder` at it (e.g. a SmolLM2 folder with tokenizer.json). From random
 * weights, 30 LoRA steps lower the loss only a little and the text stays noise: the point here is the
 * workflow, and that transformers.js decodes the export token for token as we do.
 * The last line printed is one JSON object.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SYSTEM_PROMPT, conditionPrompt, formatAttributes, STEERLM, type Conversation } from '@steerlm/core';
import {
  DecoderModel,
  LocalLanguageModel,
  exportHuggingFace,
  exportOnnx,
  generateTokens,
  loadTokenizer,
  parseModelConfig,
  selectBackend,
  trainByteLevelBpe,
  trainConditionedSFT,
  writeByteLevelBpeTokenizer,
} from '@steerlm/sft';

const { values: args } = parseArgs({
  options: {
    'work-dir': { type: 'string' },
    hidden: { type: 'string', default: '128' },
    layers: { type: 'string', default: '4' },
    steps: { type: 'string', default: '30' },
    'new-tokens': { type: 'string', default: '24' },
  },
});
const hidden = Number(args.hidden);
const layers = Number(args.layers);
const steps = Number(args.steps);
const newTokens = Number(args['new-tokens']);
const workDir = args['work-dir'] ?? (await mkdtemp(join(tmpdir(), 'steerlm-hf-folder-')));
const log = (line: string) => console.log(line);

// A few attribute-conditioned conversations (VALUE_TO_TEXT: the label precedes the response).
const conversations: Conversation[] = [
  {
    turns: [
      { role: 'user', text: 'Tell me about cats.' },
      { role: 'assistant', text: 'Cats are small, curious animals that love to nap in the sun.', attributes: { quality: 4, humor: 0 } },
    ],
  },
  {
    turns: [
      { role: 'user', text: 'Tell me about cats.' },
      { role: 'assistant', text: 'Cats? Tiny landlords who never pay rent!', attributes: { quality: 3, humor: 4 } },
    ],
  },
  {
    turns: [
      { role: 'user', text: 'Describe the sea.' },
      { role: 'assistant', text: 'The sea is vast, salty and always moving.', attributes: { quality: 4, humor: 0 } },
    ],
  },
  {
    turns: [
      { role: 'user', text: 'Describe the sea.' },
      { role: 'assistant', text: 'The sea: a giant bath nobody drained.', attributes: { quality: 3, humor: 4 } },
    ],
  },
];

try {
  // 0. Make a small Hugging Face folder: a BPE tokenizer with the SteerLM special tokens, random Llama weights.
  await selectBackend({ prefer: 'wasm', allow: ['wasm', 'cpu'] }); // tfjs wasm (XNNPACK), else plain JS
  const modelFolder = join(workDir, 'my-llama');
  // The texts the model will see, so that the prompt format tokenizes compactly.
  const corpus = [DEFAULT_SYSTEM_PROMPT, 'User', 'Assistant', ...conversations.flatMap((conversation) => conversation.turns.map((turn) => turn.text))];
  for (const conversation of conversations) for (const turn of conversation.turns) if (turn.attributes) corpus.push(formatAttributes(turn.attributes, STEERLM));
  const trained = await trainByteLevelBpe([...corpus, ...corpus.map((text) => text.toLowerCase())], { vocabSize: 320 }); // <|endoftext|>, <extra_id_0..2> first
  const tokenizerFolder = await writeByteLevelBpeTokenizer(join(workDir, 'tokenizer'), trained);
  const config = parseModelConfig({
    architectures: ['LlamaForCausalLM'],
    vocab_size: trained.vocab.size,
    hidden_size: hidden,
    intermediate_size: hidden * 3,
    num_hidden_layers: layers,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 512,
    tie_word_embeddings: false,
  });
  const fresh = DecoderModel.create(config, { seed: 1 });
  await exportHuggingFace(fresh, tokenizerFolder, modelFolder);
  fresh.dispose();
  log(`0. wrote ${modelFolder} (config.json, model.safetensors, tokenizer.json, generation_config.json)`);

  // 1. Load the folder as a user would.
  const model = await DecoderModel.load(modelFolder);
  const tokenizer = await loadTokenizer(modelFolder);
  log(`1. loaded a ${config.architecture} of ${(model.parameterCount() / 1e6).toFixed(2)}M parameters; vocabulary ${tokenizer.vocabSize}`);

  // 2. Steer: the attributes go into the SteerLM prompt, generation stops at the next turn marker.
  const request = { prompt: 'Tell me about cats.', attributes: { quality: 3, humor: 4 } };
  const lm = new LocalLanguageModel(model, tokenizer);
  const before = await lm.steer(request, { maxTokens: newTokens, temperature: 0 });
  log(`2. steered before fine-tuning: ${JSON.stringify(before.text)}`);

  // 3. LoRA fine-tune on the conditioned conversations, then fold the adapters into the weights.
  const { summary } = await trainConditionedSFT({
    model,
    tokenizer,
    train: conversations,
    lora: { rank: 8, alpha: 16, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    batchSize: 4,
    maxSteps: steps,
    epochs: steps,
    learningRate: 3e-2,
    warmupSteps: 0,
    weightDecay: 0,
    seed: 1,
  });
  const firstLoss = summary.lossCurve[0]?.loss ?? Number.NaN;
  model.mergeLora();
  const after = await lm.steer(request, { maxTokens: newTokens, temperature: 0 });
  log(`3. LoRA: ${summary.steps} steps, loss ${firstLoss.toFixed(3)} → ${summary.finalLoss.toFixed(3)}; merged; steered: ${JSON.stringify(after.text)}`);

  // 4. Export for transformers.js (onnx/model.onnx + config + tokenizer), beside the merged safetensors.
  const exportFolder = join(workDir, 'my-llama-steered');
  await exportHuggingFace(model, tokenizer, exportFolder);
  const exported = await exportOnnx(model, tokenizer, exportFolder);
  log(`4. exported ${exported.files.join(', ')} to ${exportFolder}`);

  // 5. Generate with transformers.js from the export, offline.
  const transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.useFSCache = false;
  const theirTokenizer = await transformers.AutoTokenizer.from_pretrained(exportFolder, { local_files_only: true });
  const theirModel = await transformers.AutoModelForCausalLM.from_pretrained(exportFolder, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
  const prompt = conditionPrompt(request);
  const inputs = theirTokenizer(prompt, { add_special_tokens: false });
  const output = (await theirModel.generate({ ...inputs, max_new_tokens: newTokens, do_sample: false })) as unknown as { data: BigInt64Array };
  const promptIds = tokenizer.encode(prompt);
  const theirIds = Array.from(output.data.subarray(promptIds.length), Number);
  const text = theirTokenizer.decode(theirIds, { skip_special_tokens: false });
  await theirModel.dispose();

  // Our greedy decoding of the same prompt, stopped at EOS like transformers.js.
  const ourIds: number[] = [];
  for await (const step of generateTokens(model, [promptIds], { maxTokens: newTokens, temperature: 0, stopTokenIds: [tokenizer.eosTokenId!] }))
    ourIds.push(step.tokens[0]!);
  const agree = JSON.stringify(theirIds) === JSON.stringify(ourIds);
  log(`5. transformers.js: ${JSON.stringify(text)} (same tokens as ours: ${agree})`);
  model.dispose();
  console.log(
    JSON.stringify({
      modelFolder,
      exportFolder,
      files: exported.files,
      steps: summary.steps,
      firstLoss,
      finalLoss: summary.finalLoss,
      steeredAfter: after.text,
      transformersText: text,
      tokensAgree: agree,
    }),
  );
} finally {
  if (args['work-dir'] === undefined) await rm(workDir, { recursive: true, force: true });
}
