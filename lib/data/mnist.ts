import { existsSync, statSync } from 'node:fs';
import { IMAGES_MAGIC, LABELS_MAGIC, parseIdx, readIdxFile } from './idx';
import { packagedDataDir, verifyPackaged } from './packaged';

export { packagedDataDir } from './packaged';

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;
export const IMAGE_SIZE = 28;
/** One image as the network takes it, channels last. */
export const IMAGE_SHAPE: [number, number, number] = [IMAGE_SIZE, IMAGE_SIZE, 1];
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** One split of MNIST: normalised images for the network, raw pixels for pictures. */
export interface MnistSplit {
  images: Float32Array; // count × PIXELS, normalised as the original: (x/255 − mean) / std
  pixels: Uint8Array; // count × PIXELS, 0–255
  labels: Uint8Array;
  count: number;
}
export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
}
export interface LoadOptions {
  dataDir?: string;
  trainSamples?: number;
  testSamples?: number;
}
export interface Batch {
  images: Float32Array; // size × PIXELS
  labels: Int32Array;
  size: number;
}

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

export function loadMnist(opts: LoadOptions = {}): Mnist {
  return {
    train: loadSplit(opts.dataDir, 'train', opts.trainSamples),
    test: loadSplit(opts.dataDir, 'test', opts.testSamples),
  };
}

/** Reads one split's images and labels from `dataDir` (the packaged copies, checksummed, when absent), checks they
 *  agree, and keeps the first `samples` of them. */
export function loadSplit(dataDir: string | undefined, split: keyof typeof FILES, samples?: number): MnistSplit {
  const [imagesName, labelsName] = FILES[split];
  const dir = dataDir ?? packagedDataDir();
  if (!existsSync(dir)) throw new Error(`--data-dir ${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new Error(`--data-dir ${dir}: not a folder (give the folder holding the MNIST IDX files)`);
  const imagesFile = readIdxFile(dir, imagesName);
  const labelsFile = readIdxFile(dir, labelsName);
  if (dataDir === undefined) for (const f of [imagesFile, labelsFile]) verifyPackaged(f.file, f.bytes);
  const images = parseIdx(imagesFile.file, imagesFile.bytes, IMAGES_MAGIC);
  const labels = parseIdx(labelsFile.file, labelsFile.bytes, LABELS_MAGIC);
  if (images.dims[1] !== IMAGE_SIZE || images.dims[2] !== IMAGE_SIZE) {
    throw new Error(`${imagesFile.file}: images are ${images.dims[1]}x${images.dims[2]}, expected ${IMAGE_SIZE}x${IMAGE_SIZE}`);
  }
  if (images.dims[0] === 0) throw new Error(`${imagesFile.file}: holds no images`);
  if (images.dims[0] !== labels.dims[0]) {
    throw new Error(`${labelsFile.file}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${imagesName}`);
  }
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new Error(`${labelsFile.file}: label ${labels.data[bad]} at index ${bad} is not a digit 0–9`);

  const count = samples ?? images.dims[0];
  if (count > images.dims[0]) {
    throw new Error(`--${split}-samples: ${count} requested, but ${imagesName} holds ${images.dims[0]} images`);
  }
  const pixels = images.data.slice(0, count * PIXELS);
  return { images: normalise(pixels), pixels, labels: labels.data.slice(0, count), count };
}

/** The raw pixels of image `i`, for pictures. */
export function digit(split: MnistSplit, i: number): Uint8Array {
  return split.pixels.subarray(i * PIXELS, (i + 1) * PIXELS);
}

function normalise(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  const scale = 1 / (255 * MNIST_STD);
  const shift = MNIST_MEAN / MNIST_STD;
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] * scale - shift;
  return out;
}

/** Batches in `order` (a permutation of 0..count−1, natural order when absent); the last may be smaller. */
export function* batches(split: MnistSplit, batchSize: number, order?: Uint32Array): Generator<Batch> {
  for (let start = 0; start < split.count; start += batchSize) {
    const size = Math.min(batchSize, split.count - start);
    const images = new Float32Array(size * PIXELS);
    const labels = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const k = order ? order[start + i] : start + i;
      images.set(split.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      labels[i] = split.labels[k];
    }
    yield { images, labels, size };
  }
}
