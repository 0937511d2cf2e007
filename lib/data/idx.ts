import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** An IDX file (LeCun's MNIST format) of unsigned bytes: its dimensions and its payload. */
export interface Idx {
  dims: number[];
  data: Uint8Array;
}

/** Magic numbers: two zero bytes, type 0x08 (unsigned byte), then the number of dimensions. */
export const IMAGES_MAGIC = 0x00000803;
export const LABELS_MAGIC = 0x00000801;

/** Reads `dir/name`, or `dir/name.gz` when only that exists. */
export function readIdxFile(dir: string, name: string): { file: string; bytes: Uint8Array } {
  const plain = join(dir, name);
  if (existsSync(plain)) return { file: plain, bytes: readFileSync(plain) };
  const gz = `${plain}.gz`;
  if (existsSync(gz)) {
    try {
      return { file: gz, bytes: gunzipSync(readFileSync(gz)) };
    } catch (e) {
      throw new Error(`${gz}: not a valid gzip file (${(e as Error).message})`);
    }
  }
  throw new Error(`${plain}: missing (--data-dir must hold the four MNIST IDX files, plain or .gz)`);
}

/** Parses and checks an IDX buffer; every problem is one message naming the file. */
export function parseIdx(file: string, bytes: Uint8Array, magic: number): Idx {
  const name = basename(file);
  if (bytes.length === 0) throw new Error(`${file}: empty file`);
  if (bytes.length < 4) throw new Error(`${file}: truncated header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    throw new Error(`${file}: wrong magic number 0x${hex(found)}, expected 0x${hex(magic)} for ${name} (not an MNIST IDX file of that kind)`);
  }
  const rank = magic & 0xff;
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new Error(`${file}: truncated header (${bytes.length} bytes)`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'too long';
    throw new Error(`${file}: ${what}: expected ${expected} bytes for dimensions ${dims.join('x')}, found ${bytes.length}`);
  }
  return { dims, data: bytes.subarray(header) };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
