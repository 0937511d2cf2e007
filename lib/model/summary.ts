import * as tf from '@tensorflow/tfjs';

/** tfjs layer classes as PyTorch names them; layers not listed (Flatten, LogSoftmax) are functional calls in
 *  PyTorch, which torchsummary does not show. */
const TORCH_NAMES: Record<string, string> = {
  Conv2D: 'Conv2d',
  Conv2d: 'Conv2d',
  ReLU: 'ReLU',
  BatchNorm2d: 'BatchNorm2d',
  Dropout2d: 'Dropout2d',
  MaxPooling2D: 'MaxPool2d',
  AveragePooling2D: 'AvgPool2d',
  Dense: 'Linear',
};

/** One row of the table: a layer PyTorch would show, named and numbered as torchsummary does. */
export interface TorchRow {
  layer: tf.layers.Layer;
  name: string;
  shape: number[];
  params: number;
  trainable: number;
}

const RULE = '-'.repeat(64);
const DOUBLE_RULE = '='.repeat(64);
const MB = 1024 ** 2;

/** The model's layer table exactly as torchsummary prints it for the PyTorch original: channels-first shapes, PyTorch
 *  layer names numbered in order, parameters in PyTorch's sense, and the size estimates for a batch of one. */
export function summary(model: tf.LayersModel): string {
  const rows = torchRows(model);
  const total = sum(rows.map((r) => r.params));
  const trainable = sum(rows.map((r) => r.trainable));
  const inputMb = product(model.inputs[0].shape.slice(1) as number[]) * 4 / MB;
  const activationsMb = 2 * sum(rows.map((r) => product(r.shape.slice(1)))) * 4 / MB;
  const paramsMb = total * 4 / MB;
  return [
    RULE,
    line('Layer (type)', 'Output Shape', 'Param #'),
    DOUBLE_RULE,
    ...rows.map((r) => line(r.name, `[${[-1, ...r.shape.slice(1)].join(', ')}]`, thousands(r.params))),
    DOUBLE_RULE,
    `Total params: ${thousands(total)}`,
    `Trainable params: ${thousands(trainable)}`,
    `Non-trainable params: ${thousands(total - trainable)}`,
    RULE,
    `Input size (MB): ${inputMb.toFixed(2)}`,
    `Forward/backward pass size (MB): ${activationsMb.toFixed(2)}`,
    `Params size (MB): ${paramsMb.toFixed(2)}`,
    `Estimated Total Size (MB): ${(inputMb + activationsMb + paramsMb).toFixed(2)}`,
    RULE,
  ].join('\n');
}

export function torchRows(model: tf.LayersModel): TorchRow[] {
  const rows: TorchRow[] = [];
  model.layers.forEach((layer) => {
    const torchName = TORCH_NAMES[layer.getClassName()];
    if (!torchName) return;
    const params = sum(layer.weights.filter((w) => !isBuffer(w.name)).map((w) => product(w.shape as number[])));
    rows.push({
      layer,
      name: `${torchName}-${rows.length + 1}`,
      shape: channelsFirst(layer.outputShape as number[]),
      params,
      trainable: layer.trainable ? params : 0,
    });
  });
  return rows;
}

/** BatchNorm's running mean and variance: PyTorch buffers, not parameters. */
function isBuffer(weightName: string): boolean {
  return /moving_(mean|variance)/.test(weightName);
}

function channelsFirst(shape: number[]): number[] {
  return shape.length === 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape;
}

function line(layer: string, shape: string, params: string): string {
  return `${layer.padStart(20)}  ${shape.padStart(25)} ${params.padStart(15)}`;
}

export function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function product(xs: number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}
