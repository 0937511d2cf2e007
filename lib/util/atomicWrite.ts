import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fsFailure } from './fsErrors';

/** Writes `file` so that a reader, or a kill at any moment, sees either the old content or the new one: the data go
 *  to a temporary name in the same folder (FILE.PID.tmp; lockRunDir removes those of dead processes), reach the disk,
 *  and are renamed over `file`. A failure (a full disk, say) names the file and leaves it as it was. */
export function atomicWrite(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fsFailure(e, `${file}: cannot write`);
  }
}
