import { isDeepStrictEqual } from 'node:util';
import { IMAGE_SHAPE } from '../data/mnist';
import { readJsonFile } from '../util/readFile';

/** A convolution block, as the original's: Conv2d (no bias) → ReLU → BatchNorm2d → Dropout2d. A 1×1 conv without
 *  BatchNorm is its transition block. */
export interface ConvBlock {
  /** Output channels. */
  conv: number;
  /** Kernel size (square). */
  kernel: number;
  /** Padding on each side: 0 (the default), or (kernel − 1) / 2 to keep the size, PyTorch's `padding=1` for a 3×3;
   *  TensorFlow.js pads nothing else. */
  pad?: number;
  /** Default true. */
  relu?: boolean;
  /** Default true. */
  batchNorm?: boolean;
  /** Default true: Dropout2d at the spec's rate (none when the rate is 0). */
  dropout?: boolean;
}
/** Max or average pooling over size×size windows, stride size. */
export interface MaxPoolBlock {
  maxPool: number;
}
export interface AvgPoolBlock {
  avgPool: number;
}
/** A fully connected layer with bias; the map before the first one is flattened. */
export interface LinearBlock {
  linear: number;
}
export type Block = ConvBlock | MaxPoolBlock | AvgPoolBlock | LinearBlock;

/** The network as data: blocks in order, ending in 10 outputs (one per digit), to which log-softmax is applied. */
export interface NetSpec {
  /** What the network tries, in a line (the specs/ zoo's files say it); no part of the network. */
  about?: string;
  /** Dropout2d's rate after each convolution block, in [0, 1). */
  dropout: number;
  blocks: Block[];
}

/** The original network: 16,034 parameters. buildNet() builds exactly it, weight for weight, for a seed. */
export function defaultSpec(): NetSpec {
  return {
    dropout: 0.01,
    blocks: [
      { conv: 8, kernel: 3, pad: 1 },
      { conv: 16, kernel: 3 },
      { conv: 16, kernel: 3 },
      { maxPool: 2 },
      { conv: 8, kernel: 1, batchNorm: false },
      { conv: 16, kernel: 3 },
      { conv: 32, kernel: 3 },
      { conv: 8, kernel: 1, batchNorm: false },
      { conv: 16, kernel: 3 },
      { conv: 32, kernel: 3 },
      { avgPool: 4 },
      { linear: 10 },
    ],
  };
}

export function isDefaultSpec({ about, ...spec }: NetSpec): boolean {
  return isDeepStrictEqual(spec, defaultSpec());
}

/** The fields each kind of block takes; the first names the kind. */
const KINDS = {
  conv: ['conv', 'kernel', 'pad', 'relu', 'batchNorm', 'dropout'],
  maxPool: ['maxPool'],
  avgPool: ['avgPool'],
  linear: ['linear'],
} as const;
type Kind = keyof typeof KINDS;
/** One output per digit. */
export const CLASSES = 10;

/** The most trainable parameters a spec may have: 600 times the original's 16,034, far beyond what this exercise
 *  needs, and still small enough that the weights, their gradients, the momentum and a checkpoint's text fit easily. */
export const MAX_PARAMS = 10_000_000;
/** The most floats the layers of a spec may output for one image: 128 times the original's 131,540. One image's
 *  activations and their gradients then take at most 128 MiB, so that a batch of a few images fits anywhere. */
export const MAX_ACTIVATIONS = 2 ** 24;

/** An about line's longest: a sentence, not a document. */
const MAX_ABOUT = 500;

/** A block with the shapes it takes and gives (channels last: [h, w, c] for maps, [n] once flattened). */
export interface PlannedBlock {
  kind: Kind;
  block: Block;
  /** 'conv 3×3, 32': how messages and descriptions name it. */
  label: string;
  input: number[];
  output: number[];
  /** Trainable parameters, BatchNorm's included. */
  params: number;
  /** Floats its layers output for one image (each layer's output, as training keeps them for the backward pass). */
  activations: number;
}

/** Checks a spec and works out each block's shapes: a problem is one line naming the block, e.g.
 *  `spec block 7 (conv 3×3, 32): input is 2×2, smaller than the 3×3 kernel`. Sizes are bounded (MAX_PARAMS,
 *  MAX_ACTIVATIONS) here, before anything is built: a spec of a million channels is refused, not allocated. */
export function planSpec(spec: NetSpec): PlannedBlock[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new Error('spec: expected { dropout, blocks }');
  const unknown = Object.keys(spec).find((k) => k !== 'dropout' && k !== 'blocks' && k !== 'about');
  if (unknown) throw new Error(`spec: unknown field '${unknown}' (a spec has dropout, blocks and, if it likes, about)`);
  if (spec.about !== undefined && (typeof spec.about !== 'string' || spec.about.length > MAX_ABOUT || /[\n\r]/.test(spec.about))) {
    throw new Error(`spec: about must be one line of text of at most ${MAX_ABOUT} characters`);
  }
  if (typeof spec.dropout !== 'number' || !(spec.dropout >= 0 && spec.dropout < 1)) {
    throw new Error(`spec: dropout must be a number from 0 up to (not including) 1, got ${JSON.stringify(spec.dropout)}`);
  }
  if (!Array.isArray(spec.blocks) || !spec.blocks.length) throw new Error('spec: blocks must be a non-empty list');
  let shape: number[] = [...IMAGE_SHAPE];
  const total = { params: 0, activations: 0 };
  const planned = spec.blocks.map((block, i) => {
    const kind = kindOf(block, i + 1);
    const label = labelOf(kind, block as unknown as Record<string, unknown>);
    const fail = (problem: string) => new Error(`spec block ${i + 1} (${label}): ${problem}`);
    const { output, params } = plan(kind, block, shape, fail);
    const step = { kind, block, label, input: shape, output, params, activations: 0 };
    // Flatten outputs its input's values; every other layer a map of the block's output shape.
    step.activations = blockLayers(step, spec.dropout).reduce((sum, layer) => sum + size(layer === 'Flatten' ? shape : output), 0);
    total.params += params;
    total.activations += step.activations;
    if (total.params > MAX_PARAMS) {
      throw fail(`brings the network to ${count(total.params)} parameters, beyond the ${count(MAX_PARAMS)} a network here may have`);
    }
    if (total.activations > MAX_ACTIVATIONS) {
      throw fail(`brings the network's outputs to ${count(total.activations)} values per image, beyond the ${count(MAX_ACTIVATIONS)} a network here may have`);
    }
    shape = output;
    return step;
  });
  const outputs = size(shape);
  if (outputs !== CLASSES) {
    throw new Error(`spec: the network ends with ${shape.join('×')} = ${outputs} outputs per image, not ${CLASSES} (one per digit): ` +
      `end with { "linear": ${CLASSES} }, or with ${CLASSES} channels pooled to 1×1`);
  }
  return planned;
}

function kindOf(block: Block, n: number): Kind {
  if (typeof block !== 'object' || block === null || Array.isArray(block)) {
    throw new Error(`spec block ${n}: expected an object such as { "conv": 8, "kernel": 3 }, got ${JSON.stringify(block)}`);
  }
  const kinds = (Object.keys(KINDS) as Kind[]).filter((k) => k in block);
  if (kinds.length !== 1) {
    const problem = kinds.length ? `is ${kinds.join(' and ')} at once` : 'is of no known kind';
    throw new Error(`spec block ${n}: ${problem} (a block is one of ${Object.keys(KINDS).join(', ')}), got ${JSON.stringify(block)}`);
  }
  const unknown = Object.keys(block).find((k) => !(KINDS[kinds[0]] as readonly string[]).includes(k));
  if (unknown) throw new Error(`spec block ${n}: unknown field '${unknown}' (a ${kinds[0]} block takes ${KINDS[kinds[0]].join(', ')})`);
  return kinds[0];
}

function labelOf(kind: Kind, b: Record<string, unknown>): string {
  if (kind !== 'conv') return `${kind} ${b[kind]}`;
  return `conv ${b.kernel}×${b.kernel}, ${b.conv}${b.pad ? `, pad ${b.pad}` : ''}`;
}

/** One block's output shape and parameters, or the reason it does not fit its input. */
function plan(kind: Kind, block: Block, input: number[], fail: (problem: string) => Error): { output: number[]; params: number } {
  const given = (block as unknown as Record<Kind, unknown>)[kind];
  if (!Number.isSafeInteger(given) || (given as number) < 1) {
    throw fail(`${kind === 'conv' ? 'channels' : kind === 'linear' ? 'outputs' : 'the window'} must be a positive integer, got ${JSON.stringify(given)}`);
  }
  const n = given as number;
  if (kind === 'linear') {
    const features = size(input);
    return { output: [n], params: features * n + n };
  }
  if (input.length !== 3) throw fail('comes after a linear layer: convolutions and pooling go before the head');
  const [h, w, c] = input;
  if (kind !== 'conv') {
    if (h < n || w < n) throw fail(`input is ${h}×${w}, smaller than the ${n}×${n} window`);
    return { output: [Math.floor(h / n), Math.floor(w / n), c], params: 0 };
  }
  const { kernel, pad = 0, relu, batchNorm = true, dropout } = block as ConvBlock;
  if (!Number.isSafeInteger(kernel) || kernel < 1) throw fail(`kernel must be a positive integer, got ${JSON.stringify(kernel)}`);
  if (pad !== 0 && pad * 2 !== kernel - 1) {
    throw fail(`pad ${JSON.stringify(pad)} is not supported: TensorFlow.js pads 0 or (kernel − 1) / 2${kernel % 2 ? ` = ${(kernel - 1) / 2}` : ' (an odd kernel)'}`);
  }
  const bad = Object.entries({ relu, batchNorm, dropout }).find(([, v]) => v !== undefined && typeof v !== 'boolean');
  if (bad) throw fail(`${bad[0]} must be true or false, got ${JSON.stringify(bad[1])}`);
  if (!pad && (h < kernel || w < kernel)) throw fail(`input is ${h}×${w}, smaller than the ${kernel}×${kernel} kernel`);
  const output = pad ? [h, w, n] : [h - kernel + 1, w - kernel + 1, n];
  return { output, params: kernel * kernel * c * n + (batchNorm ? 2 * n : 0) };
}

/** Trainable parameters of the spec's network. */
export function specParams(spec: NetSpec): number {
  return planSpec(spec).reduce((sum, p) => sum + p.params, 0);
}

/** The values a map or a vector of this shape holds. */
export function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** 10,000,000. */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The layers a planned block makes, in order, named as PyTorch names them (the summary's names). */
export function blockLayers(p: PlannedBlock, dropout: number): string[] {
  if (p.kind === 'maxPool') return ['MaxPool2d'];
  if (p.kind === 'avgPool') return ['AvgPool2d'];
  if (p.kind === 'linear') return [...(p.input.length === 3 ? ['Flatten'] : []), 'Linear'];
  const { relu = true, batchNorm = true, dropout: drop = true } = p.block as ConvBlock;
  return ['Conv2d', ...(relu ? ['ReLU'] : []), ...(batchNorm ? ['BatchNorm2d'] : []), ...(drop && dropout > 0 ? ['Dropout2d'] : [])];
}

/** A spec is an object holding a list of objects: nothing in it is nested deeper. */
const SPEC_DEPTH = 3;
/** The original's spec is 500 bytes; a spec of a thousand blocks would be 50 kB. */
const SPEC_BYTES = 2 ** 20;

/** A spec from a JSON file, checked; a problem is one line naming the file. */
export function readSpecFile(file: string): NetSpec {
  const spec = readJsonFile(file, 'a spec file', { maxBytes: SPEC_BYTES, maxDepth: SPEC_DEPTH }) as NetSpec;
  try {
    planSpec(spec);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  return spec;
}
