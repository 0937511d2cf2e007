import * as tf from '@tensorflow/tfjs';
import { thousands, torchRows } from './summary';
import { Conv2d } from './layers';

/** What one output value of a layer sees of the image. */
export interface FieldRow {
  /** 'Conv2d-1', numbered as the summary numbers it; 'input' for the image. */
  name: string;
  /** Channels first, without the batch, as the summary shows it. */
  output: number[];
  /** Receptive field: the side, in image pixels, of the square one output value depends on. */
  rf: number;
  /** Image pixels between two neighbouring outputs of the layer. */
  jump: number;
  params: number;
}

/** The receptive field after each layer that looks at a neighbourhood (convolutions, pooling, the linear head), from
 *  the model's own layers: r_out = r_in + (k − 1)·j_in and j_out = j_in·stride. ReLU, BatchNorm and Dropout act on one
 *  value at a time and change neither, so they get no row. */
export function receptiveFields(model: tf.LayersModel): FieldRow[] {
  const [height, width, channels] = model.inputs[0].shape.slice(1) as number[];
  let rf = 1;
  let jump = 1;
  let size = height;
  const rows: FieldRow[] = [{ name: 'input', output: [channels, height, width], rf, jump, params: 0 }];
  for (const row of torchRows(model)) {
    const window = windowOf(row.layer, size);
    if (!window) continue;
    rf += (window.kernel - 1) * jump;
    jump *= window.stride;
    const output = row.shape.slice(1);
    size = output.length === 3 ? output[1] : 1;
    rows.push({ name: row.name, output, rf, jump, params: row.params });
  }
  return rows;
}

/** A layer's window and stride; undefined for layers that look at one position only. A linear layer on the flattened
 *  size×size map sees all of it, as a size×size convolution would. */
function windowOf(layer: tf.layers.Layer, size: number): { kernel: number; stride: number } | undefined {
  const config = layer.getConfig() as { kernelSize?: number[]; poolSize?: number[]; strides?: number[] };
  switch (layer.getClassName()) {
    case 'Conv2d': // ours (layers.ts): stride 1
      return { kernel: (layer as Conv2d).kernelSize, stride: 1 };
    case 'Conv2D':
      return { kernel: config.kernelSize![0], stride: config.strides![0] };
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return { kernel: config.poolSize![0], stride: config.strides![0] };
    case 'Dense':
      return { kernel: size, stride: 1 };
    default:
      return undefined;
  }
}

const RULE = '-'.repeat(58);
const DOUBLE_RULE = '='.repeat(58);

/** The receptive-field table, laid out like the summary beside it. */
export function receptiveFieldTable(model: tf.LayersModel): string {
  const rows = receptiveFields(model);
  const listed = rows.reduce((sum, r) => sum + r.params, 0);
  const total = torchRows(model).reduce((sum, r) => sum + r.params, 0);
  const [image, last] = [rows[0].output[1], rows[rows.length - 1].rf];
  return [
    RULE,
    line('Layer (type)', 'Output Shape', 'RF', 'Jump', 'Param #'),
    DOUBLE_RULE,
    ...rows.map((r) => line(r.name, `[${r.output.join(', ')}]`, String(r.rf), String(r.jump), thousands(r.params))),
    DOUBLE_RULE,
    `Each output sees ${last}×${last} pixels${last > image ? `, more than the ${image}×${image} image` : ` of the ${image}×${image} image`}.`,
    `Params in these layers: ${thousands(listed)}${listed === total ? '' : ` of ${thousands(total)} (BatchNorm holds the rest)`}`,
    RULE,
  ].join('\n');
}

function line(layer: string, shape: string, rf: string, jump: string, params: string): string {
  return `${layer.padStart(15)}  ${shape.padStart(15)} ${rf.padStart(5)} ${jump.padStart(5)} ${params.padStart(12)}`;
}
