import { closeSync, constants, fstatSync, openSync, readSync, Stats } from 'node:fs';
import { fsFailure } from './fsErrors';

/** Reads `file` whole, and only if it is a regular file of at most `maxBytes`: a folder, a FIFO (whose reading would
 *  wait for a writer), a device such as /dev/zero (which never ends) or a file larger than anything `what` can be is
 *  refused before a byte is read, in one line naming the file. A symbolic link is followed (callers that must stay
 *  inside a folder resolve it first). */
export function readRegularFile(file: string, what: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // Non-blocking, so that opening a FIFO returns at once instead of waiting for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${file}: no such file`);
    throw fsFailure(e, `${file}: cannot read ${what}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${file}: ${kindOf(stat)}, not ${what}`);
    if (stat.size > maxBytes) {
      throw new Error(`${file}: ${stat.size.toLocaleString('en-US')} bytes, more than ${what} can be (at most ${maxBytes.toLocaleString('en-US')})`);
    }
    const bytes = Buffer.allocUnsafe(stat.size);
    for (let at = 0; at < bytes.length;) {
      const read = readSync(fd, bytes, at, bytes.length - at, null);
      if (read === 0) throw new Error(`${file}: shrank while being read`);
      at += read;
    }
    return bytes;
  } catch (e) {
    throw fsFailure(e, `${file}: cannot read ${what}`);
  } finally {
    closeSync(fd);
  }
}

export interface JsonLimits {
  maxBytes: number;
  /** Arrays and objects nested deeper than this are refused before parsing (a deep file would exhaust the stack of
   *  whatever walks it). */
  maxDepth: number;
}

/** Parses `file`, read as readRegularFile does, as JSON nested at most `maxDepth` deep; every problem is one line
 *  naming the file. */
export function readJsonFile(file: string, what: string, { maxBytes, maxDepth }: JsonLimits): unknown {
  const text = readRegularFile(file, what, maxBytes).toString('utf8');
  const depth = nestingBeyond(text, maxDepth);
  if (depth) throw new Error(`${file}: nested more than ${maxDepth} levels deep (${depth} found), more than ${what} is`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${oneLine((e as Error).message)})`);
  }
}

/** A message on one line: JSON.parse, for one, quotes the text around an error, newlines included. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The depth of the first array or object nested deeper than `max` levels in JSON `text` (strings skipped), or 0. */
function nestingBeyond(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return 0;
}
