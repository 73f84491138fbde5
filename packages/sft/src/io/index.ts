export * from './safetensors';
export * from './hf-config';
export * from './tokenizer';
export * from './bpe-trainer';
export * from './onnx';
