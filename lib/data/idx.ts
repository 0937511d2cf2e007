import { constants as bufferConstants } from 'node:buffer';
import { closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, ZlibOptions, constants as zlibConstants } from 'node:zlib';
import { fsFailure } from '../util/fsErrors';
import { oneLine, readRegularFile } from '../util/readFile';

/** An IDX file (LeCun's MNIST format) of unsigned bytes, as its header describes it; nothing past the header is read
 *  yet, so that what the header implies can be checked first. */
export interface IdxHeader {
  /** The path, `.gz` included when compressed. */
  file: string;
  gz: boolean;
  magic: number;
  dims: number[];
  /** The bytes the header implies, itself included: what the file holds, or inflates to when compressed. */
  length: number;
  /** The file's size on disk. */
  size: number;
}

/** An IDX file read whole: its content and the payload after the header. */
export interface Idx extends IdxHeader {
  bytes: Uint8Array;
  data: Uint8Array;
}

/** Magic numbers: two zero bytes, type 0x08 (unsigned byte), then the number of dimensions. */
export const IMAGES_MAGIC = 0x00000803;
export const LABELS_MAGIC = 0x00000801;

/** The most bytes node reads into one buffer (4 GiB on 64-bit): no IDX file larger than that can be loaded. */
const MAX_IDX_BYTES = bufferConstants.MAX_LENGTH;

/** How much of a .gz is inflated to find its header: a gzip header and the start of the first deflate block are far
 *  shorter, and 4 KiB inflate to at most about 4 MB (deflate's limit is 1032:1), whatever the header claims. */
const GZIP_PREFIX_BYTES = 4096;

/** `dir/name`, or `dir/name.gz` when only that exists; undefined when neither does. */
export function idxPath(dir: string, name: string): string | undefined {
  return [join(dir, name), join(dir, `${name}.gz`)].find((file) => existsSync(file));
}

/** Reads and checks the header of an IDX file, plain or gzipped, of the kind `magic` says; every problem is one line
 *  naming the file. Anything but a regular file (a folder, a FIFO, a device such as /dev/zero, also through a symbolic
 *  link) is refused before a byte is read. */
export function readIdxHeader(file: string, magic: number): IdxHeader {
  const gz = file.endsWith('.gz');
  const { start, size } = readStart(file, gz ? GZIP_PREFIX_BYTES : headerLength(magic), gz ? 'a gzipped IDX file' : 'an IDX file');
  const whole = start.length === size;
  // A sync flush returns what the prefix inflates to instead of failing on the missing rest; a file read whole is
  // inflated as such, so that a cut stream is reported.
  const header = gz ? gunzip(file, start, whole ? {} : { finishFlush: zlibConstants.Z_SYNC_FLUSH }) : start;
  if (gz && !whole && header.length < headerLength(magic)) {
    throw new Error(`${file}: its first ${GZIP_PREFIX_BYTES} bytes inflate to ${header.length}, short of an IDX header`);
  }
  const dims = parseHeader(file, header, magic);
  return { file, gz, magic, dims, length: headerLength(magic) + dims.reduce((a, b) => a * b, 1), size };
}

/** Reads the rest of a file whose header `readIdxHeader` gave, no more than that header implies: a plain file whose
 *  size differs is refused before it is read, and a .gz stops inflating one byte past the implied length, so that a
 *  header that lies costs no more than the file's real size. */
export function readIdx(header: IdxHeader): Idx {
  const { file, length } = header;
  if (length > MAX_IDX_BYTES) {
    throw new Error(`${file}: ${length.toLocaleString('en-US')} bytes by its header, more than node reads into one buffer (${MAX_IDX_BYTES.toLocaleString('en-US')})`);
  }
  const bytes = header.gz ? readGzipped(header) : readPlain(header);
  return { ...header, bytes, data: bytes.subarray(headerLength(header.magic)) };
}

/** The first `length` bytes of `file` (fewer when it is shorter) and its size. Only a regular file is opened: anything
 *  else is left to readRegularFile, which refuses it in one line, naming what it is, without reading. */
function readStart(file: string, length: number, what: string): { start: Buffer; size: number } {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) readRegularFile(file, what, 0); // refuses it, saying what it is
    size = stat.size;
  } catch (e) {
    throw fsFailure(e, `${file}: cannot read ${what}`);
  }
  let fd: number;
  try {
    // Non-blocking, in case the file was swapped for a FIFO since: opening one would wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw fsFailure(e, `${file}: cannot read ${what}`);
  }
  try {
    const start = Buffer.alloc(Math.min(length, size));
    return { start: start.subarray(0, readSync(fd, start, 0, start.length, 0)), size };
  } finally {
    closeSync(fd);
  }
}

/** Checks the magic number and reads the dimensions of an IDX header, from `bytes` (the file's start). */
function parseHeader(file: string, bytes: Uint8Array, magic: number): number[] {
  if (bytes.length === 0) throw new Error(`${file}: empty file`);
  if (bytes.length < 4) throw new Error(`${file}: truncated header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    const name = basename(file).replace(/\.gz$/, '');
    throw new Error(`${file}: wrong magic number 0x${hex(found)}, expected 0x${hex(magic)} for ${name} (not an MNIST IDX file of that kind)`);
  }
  if (bytes.length < headerLength(magic)) throw new Error(`${file}: truncated header (${bytes.length} bytes)`);
  return Array.from({ length: magic & 0xff }, (_, i) => view.getUint32(4 + 4 * i));
}

function readPlain({ file, dims, length, size }: IdxHeader): Buffer {
  checkLength(file, size, length, dims);
  return readRegularFile(file, 'an IDX file', length);
}

function readGzipped({ file, dims, length }: IdxHeader): Buffer {
  const gz = readRegularFile(file, `a gzipped IDX file of dimensions ${dims.join('x')}`, gzipBound(length));
  // One byte past the implied length: enough to tell a stream that is too long without inflating all of it.
  const bytes = gunzip(file, gz, { maxOutputLength: Math.min(length + 1, MAX_IDX_BYTES) });
  checkLength(file, bytes.length, length, dims);
  return bytes;
}

/** Inflates a gzip stream; a corrupt one, or one whose output would pass `maxOutputLength`, is refused in one line. */
function gunzip(file: string, bytes: Uint8Array, options: ZlibOptions): Buffer {
  try {
    return gunzipSync(bytes, options);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${file}: too long: inflates to more than the ${Number(options.maxOutputLength) - 1} bytes its header implies`);
    }
    throw new Error(`${file}: not a valid gzip file (${oneLine((e as Error).message)})`);
  }
}

/** The largest .gz that `length` bytes of content can take: deflate grows even incompressible data by well under one
 *  byte in a thousand (zlib's deflateBound), and a gzip header may carry a file name and a comment. */
function gzipBound(length: number): number {
  return length + Math.ceil(length / 1000) + 65536;
}

function checkLength(file: string, found: number, expected: number, dims: number[]): void {
  if (found === expected) return;
  const what = found < expected ? 'truncated' : 'too long';
  throw new Error(`${file}: ${what}: expected ${expected} bytes for dimensions ${dims.join('x')}, found ${found}`);
}

/** The magic number, then one 32-bit size per dimension (the magic's last byte counts them). */
function headerLength(magic: number): number {
  return 4 + 4 * (magic & 0xff);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
