import { existsSync, linkSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A run folder held by this process until release(). */
export interface RunDirLock {
  release(): void;
}

export const LOCK_FILE = 'lock';

/** Claims `dir` for this process: DIR/lock holds its pid. A lock whose process is gone (killed, crashed) is taken over;
 *  a live one is refused with a message naming `input` (the flag or variable that chose the folder). The folder is
 *  created when needed, and removed again on release if it was created here and nothing else was written to it. */
export function lockRunDir(dir: string, input: string): RunDirLock {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${input} ${dir}: not a folder`);
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  if (!tryCreate(file)) {
    const owner = lockOwner(file);
    if (owner !== undefined && isAlive(owner)) {
      throw new Error(`${input} ${dir}: in use by another run (pid ${owner}); wait for it to end or choose another folder`);
    }
    rmSync(file, { force: true });
    if (!tryCreate(file)) throw new Error(`${input} ${dir}: another run took over its stale lock just now`);
  }
  const release = (): void => {
    process.off('exit', release);
    if (lockOwner(file) === process.pid) rmSync(file, { force: true });
    if (created) removeIfEmpty(dir);
  };
  // A second Ctrl-C ends the process with process.exit(): the lock goes with it.
  process.on('exit', release);
  return { release };
}

/** Creates the lock with its content in one step (a hard link fails if the name exists), so no reader sees it empty. */
function tryCreate(file: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function lockOwner(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty: the run wrote something worth keeping
  }
}
