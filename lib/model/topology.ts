import { IMAGE_SHAPE } from '../data/mnist';
import { Block, blockLayers, ConvBlock, NetSpec, PlannedBlock, planSpec } from './spec';

/** A weight a network has, named as a weights manifest names it: LAYER/WEIGHT. */
export interface NetWeight {
  name: string;
  shape: number[];
}

/** What a saved topology describes: the spec buildNet() made it from, and the weights that network has. */
export interface ReadTopology {
  spec: NetSpec;
  weights: NetWeight[];
}

type Json = Record<string, unknown>;

/** One entry of the Sequential's layer list, with how messages name it: `modelTopology.config.layers[3] (ReLU re_lu_ReLU1)`. */
interface Layer {
  at: string;
  className: string;
  name: string;
  config: Json;
}

/** A block read back, with the names of the layers whose weights it has. */
interface ReadBlock {
  block: Block;
  conv?: string;
  batchNorm?: string;
  dense?: string;
  /** A conv block followed by a Dropout2d. */
  dropout?: boolean;
}

/** The inverse of buildNet(): the spec a saved topology (model.json's modelTopology) was built from, checked with
 *  planSpec() (which bounds the parameters) and the weights its network has: all worked out before tfjs builds
 *  anything, since tfjs allocates and initialises every layer's weights as it builds. A layer of another class, with
 *  settings buildNet never gives, or in an order it never makes is refused in one line naming the layer. */
export function readTopology(topology: unknown): ReadTopology {
  const layers = layersOf(topology);
  const read: ReadBlock[] = [];
  let rate: { value: number; at: string } | undefined;
  layers.forEach((layer, i) => {
    checkFields(layer, i === 0);
    const { className, config, at } = layer;
    const current = read[read.length - 1];
    if (className === 'Conv2d') read.push(convBlock(layer));
    else if (className === 'MaxPooling2D') read.push({ block: { maxPool: poolSize(layer) } });
    else if (className === 'AveragePooling2D') read.push({ block: { avgPool: poolSize(layer) } });
    else if (className === 'Dense') read.push(denseBlock(layer));
    else if (className === 'ReLU' || className === 'BatchNorm2d' || className === 'Dropout2d') {
      if (!current?.conv) throw new Error(`${at}: follows no convolution (buildNet puts a ${className} only in a convolution block)`);
      if (className === 'ReLU') (current.block as ConvBlock).relu = true;
      else if (className === 'BatchNorm2d') current.batchNorm = layer.name;
      else {
        current.dropout = true;
        if (rate && rate.value !== config.rate) throw new Error(`${at}: rate ${JSON.stringify(config.rate)}, where ${rate.at} has ${rate.value} (buildNet gives every Dropout2d the spec's rate)`);
        rate = { value: config.rate as number, at };
      }
    }
    // Flatten and LogSoftmax carry nothing of the spec: where they stand is checked against buildNet's order below.
  });
  const spec: NetSpec = { dropout: rate?.value ?? 0, blocks: read.map((r) => specBlock(r, rate !== undefined)) };
  let planned: PlannedBlock[];
  try {
    planned = planSpec(spec);
  } catch (e) {
    throw new Error(`modelTopology: the network it describes does not fit: ${(e as Error).message}`);
  }
  checkOrder(layers, planned, spec.dropout);
  return { spec, weights: planned.flatMap((p, i) => weightsOf(p, read[i])) };
}

/** The Sequential's layers, each an object with a class, a config and a name of its own. */
function layersOf(topology: unknown): Layer[] {
  if (!isObject(topology) || topology.class_name !== 'Sequential') {
    throw new Error(`modelTopology: expected a Sequential model (buildNet makes one), got class ${JSON.stringify(isObject(topology) ? topology.class_name : topology)}`);
  }
  const layers = isObject(topology.config) ? topology.config.layers : undefined;
  if (!Array.isArray(layers) || !layers.length) throw new Error('modelTopology.config.layers: expected a non-empty list of layers');
  const names = new Set<string>();
  return layers.map((layer, i) => {
    const at = `modelTopology.config.layers[${i}]`;
    if (!isObject(layer) || typeof layer.class_name !== 'string' || !isObject(layer.config)) throw new Error(`${at}: expected { class_name, config }`);
    const name = layer.config.name;
    if (typeof name !== 'string' || !name) throw new Error(`${at}.config.name: expected the layer's name (its weights are named after it)`);
    if (names.has(name)) throw new Error(`${at}.config.name: a second layer named '${name}'`);
    names.add(name);
    return { at: `${at} (${layer.class_name} ${name})`, className: layer.class_name, name, config: layer.config };
  });
}

/** The config fields tfjs writes for each layer class buildNet uses, beyond every layer's name and trainable. */
const FIELDS: Record<string, string[]> = {
  Conv2d: ['filters', 'kernel_size', 'padding'],
  ReLU: ['max_value'],
  BatchNorm2d: ['momentum', 'epsilon'],
  Dropout2d: ['rate', 'seed'],
  MaxPooling2D: ['pool_size', 'padding', 'strides', 'data_format'],
  AveragePooling2D: ['pool_size', 'padding', 'strides', 'data_format'],
  Flatten: [],
  Dense: ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer',
    'activity_regularizer', 'kernel_constraint', 'bias_constraint'],
  LogSoftmax: [],
};
/** Initialisers that cost no more than drawing the weights (tfjs runs them as it builds, before the saved weights
 *  replace their values): buildNet's and tfjs' defaults, where Orthogonal, say, would run a QR decomposition. */
const CHEAP_INITIALIZERS = ['VarianceScaling', 'RandomUniform', 'GlorotUniform', 'Zeros'];

/** A known class with only the fields tfjs writes for it, and the settings buildNet gives them. */
function checkFields({ at, className, config }: Layer, first: boolean): void {
  const fields = Object.hasOwn(FIELDS, className) ? FIELDS[className] : undefined;
  if (!fields) throw new Error(`${at}: a layer class buildNet never makes (it makes ${Object.keys(FIELDS).join(', ')})`);
  const known = ['name', 'trainable', ...fields, ...(first ? ['batch_input_shape', 'dtype'] : [])];
  const unknown = Object.keys(config).find((k) => !known.includes(k));
  if (unknown) throw new Error(`${at}: config.${unknown}: not a setting buildNet gives a ${className}${first ? '' : ' (only the first layer names the input)'}`);
  const input = [null, ...IMAGE_SHAPE];
  if (first && JSON.stringify(config.batch_input_shape) !== JSON.stringify(input)) {
    throw new Error(`${at}: config.batch_input_shape: ${JSON.stringify(config.batch_input_shape)}, expected ${JSON.stringify(input)} (28×28 images, one channel)`);
  }
  if (first && !absentOr('float32')(config.dtype)) throw new Error(`${at}: config.dtype: ${JSON.stringify(config.dtype)}, expected float32`);
  const wrong = Object.entries(Object.hasOwn(EXPECTED, className) ? EXPECTED[className] : {}).find(([k, ok]) => !ok(config[k]));
  if (wrong) throw new Error(`${at}: config.${wrong[0]}: ${JSON.stringify(config[wrong[0]])}, not what buildNet gives a ${className}`);
}

const absentOr = (...values: unknown[]) => (v: unknown) => v === undefined || values.includes(v);
const initializer = (v: unknown) => v === undefined || v === null || (isObject(v) && CHEAP_INITIALIZERS.includes(v.class_name as string));

/** The settings buildNet gives a layer class's fields, where they are not the spec's to choose. */
const EXPECTED: Record<string, Record<string, (v: unknown) => boolean>> = {
  Conv2d: { padding: (v) => v === 'same' || v === 'valid' },
  ReLU: { max_value: absentOr(null) },
  Dropout2d: { seed: (v) => v === undefined || Number.isSafeInteger(v) },
  MaxPooling2D: { padding: absentOr('valid'), data_format: absentOr('channels_last') },
  AveragePooling2D: { padding: absentOr('valid'), data_format: absentOr('channels_last') },
  Dense: {
    activation: absentOr('linear'), use_bias: absentOr(true), kernel_initializer: initializer, bias_initializer: initializer,
    kernel_regularizer: absentOr(null), bias_regularizer: absentOr(null), activity_regularizer: absentOr(null),
    kernel_constraint: absentOr(null), bias_constraint: absentOr(null),
  },
};

function convBlock({ name, config }: Layer): ReadBlock {
  const kernel = config.kernel_size as number;
  // 'same' is how buildNet pads (kernel − 1) / 2; planSpec refuses a kernel that cannot be padded so.
  const pad = config.padding === 'same' && kernel !== 1 ? { pad: (kernel - 1) / 2 } : {};
  return { block: { conv: config.filters as number, kernel, ...pad, relu: false }, conv: name };
}

function denseBlock({ name, config }: Layer): ReadBlock {
  return { block: { linear: config.units as number }, dense: name };
}

/** A pooling layer's window: square, with strides of its size, as buildNet makes them. */
function poolSize({ at, config }: Layer): number {
  const [h, w] = Array.isArray(config.pool_size) ? config.pool_size : [];
  const strides = config.strides ?? config.pool_size;
  if (!Number.isSafeInteger(h) || h !== w || JSON.stringify(strides) !== JSON.stringify([h, h])) {
    throw new Error(`${at}: pool_size ${JSON.stringify(config.pool_size)}, strides ${JSON.stringify(config.strides)}: buildNet pools square windows with strides of their size`);
  }
  return h;
}

/** The block as a spec writes it: only the fields that differ from their defaults. */
function specBlock({ block, batchNorm, dropout }: ReadBlock, anyDropout: boolean): Block {
  if (!('conv' in block)) return block;
  const { conv, kernel, pad, relu } = block;
  return {
    conv, kernel, ...(pad ? { pad } : {}), ...(relu ? {} : { relu: false }), ...(batchNorm ? {} : { batchNorm: false }),
    // Without a Dropout2d anywhere, the rate is 0 and no block needs to say it has none.
    ...(dropout || !anyDropout ? {} : { dropout: false }),
  };
}

/** The tfjs class of each layer a block makes, by the name spec.ts gives it. */
const CLASS_OF: Record<string, string> = {
  Conv2d: 'Conv2d', ReLU: 'ReLU', BatchNorm2d: 'BatchNorm2d', Dropout2d: 'Dropout2d',
  MaxPool2d: 'MaxPooling2D', AvgPool2d: 'AveragePooling2D', Flatten: 'Flatten', Linear: 'Dense',
};

/** The layers buildNet makes for a planned spec, by class, in order (its blocks', then the Flatten and LogSoftmax that
 *  end it). */
function buildOrder(planned: PlannedBlock[], rate: number): string[] {
  const blocks = planned.flatMap((p) => blockLayers(p, rate).map((layer) => CLASS_OF[layer]));
  return [...blocks, ...(planned[planned.length - 1].output.length === 3 ? ['Flatten'] : []), 'LogSoftmax'];
}

/** The layers stand in buildNet's order: a Flatten where it flattens, ReLU → BatchNorm2d → Dropout2d, a LogSoftmax last. */
function checkOrder(layers: Layer[], planned: PlannedBlock[], rate: number): void {
  const order = buildOrder(planned, rate);
  const i = layers.findIndex((layer, j) => layer.className !== order[j]);
  if (i >= 0) throw new Error(`${layers[i].at}: buildNet puts ${order[i] ? `a ${order[i]}` : 'nothing'} here (not a network it makes)`);
  if (layers.length < order.length) throw new Error(`modelTopology.config.layers: ends before the ${order[layers.length]} that buildNet puts next`);
}

/** The weights of one block's layers, named and shaped as tfjs saves them. */
function weightsOf({ kind, block, input, output }: PlannedBlock, read: ReadBlock): NetWeight[] {
  if (kind === 'linear') {
    const units = output[0];
    return [{ name: `${read.dense}/kernel`, shape: [input.reduce((a, b) => a * b, 1), units] }, { name: `${read.dense}/bias`, shape: [units] }];
  }
  if (kind !== 'conv') return [];
  const { conv, kernel } = block as ConvBlock;
  const norm = read.batchNorm ? ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => ({ name: `${read.batchNorm}/${w}`, shape: [conv] })) : [];
  return [{ name: `${read.conv}/kernel`, shape: [kernel, kernel, input[2], conv] }, ...norm];
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
