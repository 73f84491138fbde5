import { ModelFormatError, ShapeError } from '@steerlm/core';
import { SeededRandom } from '../training/seeded-random';

/** The shape of a regression head: linear when `hiddenUnits` is 0, else one ReLU hidden layer. */
export interface RegressionHeadConfig {
  readonly inputDimension: number;
  readonly outputDimension: number;
  readonly hiddenUnits: number;
}

/** The trainable tensors of a head by name (row-major), as saved to safetensors. */
export type HeadParameters = Record<string, { data: Float32Array; shape: number[] }>;

function parameterShapes(config: RegressionHeadConfig): Record<string, number[]> {
  const { inputDimension: inputs, outputDimension: outputs, hiddenUnits: hidden } = config;
  if (hidden === 0) return { 'head.weight': [inputs, outputs], 'head.bias': [outputs] };
  return { 'head.hidden.weight': [inputs, hidden], 'head.hidden.bias': [hidden], 'head.output.weight': [hidden, outputs], 'head.output.bias': [outputs] };
}

function validateConfig(config: RegressionHeadConfig): void {
  for (const key of ['inputDimension', 'outputDimension', 'hiddenUnits'] as const) {
    const value = config[key];
    if (!Number.isSafeInteger(value) || value < (key === 'hiddenUnits' ? 0 : 1)) {
      throw new ShapeError(`regression head ${key} must be a ${key === 'hiddenUnits' ? 'non-negative' : 'positive'} integer, got ${String(value)}`);
    }
  }
}

/** Adds `rows × inputs` times `inputs × outputs` into `result` (row-major). */
function multiplyAdd(left: Float32Array, right: Float32Array, result: Float32Array, rows: number, inputs: number, outputs: number): void {
  for (let row = 0; row < rows; row += 1) {
    const leftOffset = row * inputs;
    const resultOffset = row * outputs;
    for (let inner = 0; inner < inputs; inner += 1) {
      const value = left[leftOffset + inner]!;
      if (value === 0) continue;
      const rightOffset = inner * outputs;
      for (let column = 0; column < outputs; column += 1) result[resultOffset + column]! += value * right[rightOffset + column]!;
    }
  }
}

/** Returns `rows × columns` filled with the bias in every row. */
function broadcastBias(bias: Float32Array, rows: number): Float32Array {
  const result = new Float32Array(rows * bias.length);
  for (let row = 0; row < rows; row += 1) result.set(bias, row * bias.length);
  return result;
}

/** A linear or one-hidden-layer MLP regression head in plain Float32Array math (deterministic, no backend). */
export class RegressionHead {
  readonly config: RegressionHeadConfig;
  readonly parameters: HeadParameters;

  private constructor(config: RegressionHeadConfig, parameters: HeadParameters) {
    this.config = Object.freeze({ ...config });
    this.parameters = parameters;
  }

  /** Returns a new head: a linear head starts at zero, an MLP with He-initialised hidden weights from `seed`. */
  static create(config: RegressionHeadConfig, seed = 0): RegressionHead {
    validateConfig(config);
    const random = new SeededRandom(seed);
    const parameters: HeadParameters = {};
    for (const [name, shape] of Object.entries(parameterShapes(config))) {
      const data = new Float32Array(shape.reduce((product, size) => product * size, 1));
      if (name.endsWith('.weight') && config.hiddenUnits > 0) {
        const scale = Math.sqrt(2 / shape[0]!);
        for (let index = 0; index < data.length; index += 1) data[index] = random.normal() * scale;
      }
      parameters[name] = { data, shape };
    }
    return new RegressionHead(config, parameters);
  }

  /** Returns a head over existing tensors after checking that every expected tensor is present with its shape. */
  static fromParameters(config: RegressionHeadConfig, tensors: HeadParameters): RegressionHead {
    validateConfig(config);
    const parameters: HeadParameters = {};
    for (const [name, shape] of Object.entries(parameterShapes(config))) {
      const tensor = tensors[name];
      if (!tensor) throw new ModelFormatError(`the weights have no tensor "${name}"`, { hint: 'the weights file does not belong to this head configuration' });
      if (tensor.shape.length !== shape.length || tensor.shape.some((size, axis) => size !== shape[axis])) {
        throw new ModelFormatError(`tensor "${name}" has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`);
      }
      parameters[name] = { data: Float32Array.from(tensor.data), shape: [...shape] };
    }
    return new RegressionHead(config, parameters);
  }

  /** Returns a deep copy of the head. */
  clone(): RegressionHead {
    const parameters: HeadParameters = {};
    for (const [name, tensor] of Object.entries(this.parameters)) parameters[name] = { data: Float32Array.from(tensor.data), shape: [...tensor.shape] };
    return new RegressionHead(this.config, parameters);
  }

  #tensor(name: string): Float32Array {
    return this.parameters[name]!.data;
  }

  /** Returns the hidden activations (MLP only) and outputs of `rows` row-major feature rows. */
  forwardWithActivations(features: Float32Array, rows: number): { hidden?: Float32Array; outputs: Float32Array } {
    const { inputDimension: inputs, outputDimension: outputs, hiddenUnits: hiddenSize } = this.config;
    if (features.length !== rows * inputs) {
      throw new ShapeError(`the head expects ${rows} rows of ${inputs} features (${rows * inputs} values), got ${features.length}`);
    }
    if (hiddenSize === 0) {
      const result = broadcastBias(this.#tensor('head.bias'), rows);
      multiplyAdd(features, this.#tensor('head.weight'), result, rows, inputs, outputs);
      return { outputs: result };
    }
    const hidden = broadcastBias(this.#tensor('head.hidden.bias'), rows);
    multiplyAdd(features, this.#tensor('head.hidden.weight'), hidden, rows, inputs, hiddenSize);
    for (let index = 0; index < hidden.length; index += 1) if (hidden[index]! < 0) hidden[index] = 0;
    const result = broadcastBias(this.#tensor('head.output.bias'), rows);
    multiplyAdd(hidden, this.#tensor('head.output.weight'), result, rows, hiddenSize, outputs);
    return { hidden, outputs: result };
  }

  /** Returns the outputs (rows × outputDimension, row-major) of row-major feature rows. */
  forward(features: Float32Array, rows: number): Float32Array {
    return this.forwardWithActivations(features, rows).outputs;
  }

  /** Returns the gradient of every parameter given d loss / d outputs for one batch. */
  backward(features: Float32Array, rows: number, outputGradient: Float32Array, hidden?: Float32Array): Record<string, Float32Array> {
    const { inputDimension: inputs, outputDimension: outputs, hiddenUnits: hiddenSize } = this.config;
    const accumulate = (input: Float32Array, width: number, gradient: Float32Array, gradientWidth: number) => {
      const weight = new Float32Array(width * gradientWidth);
      const bias = new Float32Array(gradientWidth);
      for (let row = 0; row < rows; row += 1) {
        const gradientOffset = row * gradientWidth;
        for (let column = 0; column < gradientWidth; column += 1) bias[column]! += gradient[gradientOffset + column]!;
        const inputOffset = row * width;
        for (let inner = 0; inner < width; inner += 1) {
          const value = input[inputOffset + inner]!;
          if (value === 0) continue;
          const weightOffset = inner * gradientWidth;
          for (let column = 0; column < gradientWidth; column += 1) weight[weightOffset + column]! += value * gradient[gradientOffset + column]!;
        }
      }
      return { weight, bias };
    };
    if (hiddenSize === 0) {
      const { weight, bias } = accumulate(features, inputs, outputGradient, outputs);
      return { 'head.weight': weight, 'head.bias': bias };
    }
    if (!hidden) throw new ShapeError('an MLP head needs the hidden activations of the forward pass to compute gradients');
    const output = accumulate(hidden, hiddenSize, outputGradient, outputs);
    const outputWeight = this.#tensor('head.output.weight');
    const hiddenGradient = new Float32Array(rows * hiddenSize);
    for (let row = 0; row < rows; row += 1) {
      for (let unit = 0; unit < hiddenSize; unit += 1) {
        if (hidden[row * hiddenSize + unit]! <= 0) continue;
        let sum = 0;
        for (let column = 0; column < outputs; column += 1) sum += outputGradient[row * outputs + column]! * outputWeight[unit * outputs + column]!;
        hiddenGradient[row * hiddenSize + unit] = sum;
      }
    }
    const first = accumulate(features, inputs, hiddenGradient, hiddenSize);
    return { 'head.hidden.weight': first.weight, 'head.hidden.bias': first.bias, 'head.output.weight': output.weight, 'head.output.bias': output.bias };
  }
}
