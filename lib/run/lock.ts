import { closeSync, fstatSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsFailure } from '../util/fsErrors';
import { makeFolders, removeIfEmpty } from '../util/folders';
import { mayBeRun } from './processes';

/** A run folder held by this process until release(). */
export interface RunDirLock {
  release(): void;
}

export const LOCK_FILE = 'lock';

/** Claims `dir` for this process: DIR/lock holds its pid. A lock whose process is gone (killed, crashed, or its pid
 *  now taken by a process that is no Node.js program) is taken over, by exactly one of the runs that try at once; a
 *  live one is refused with a message naming `input` (the flag or variable that chose the folder). The folder is
 *  created when needed, and removed again on release if it was created here and nothing else was written to it.
 *  Temporary files left in it by dead processes (a kill during a write) are removed. */
export function lockRunDir(dir: string, input: string): RunDirLock {
  const created = makeFolders(dir, input);
  const file = join(dir, LOCK_FILE);
  const mine = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(mine, `${process.pid}\n`);
  } catch (e) {
    // A full disk can still create the file, empty: leave nothing behind.
    rmSync(mine, { force: true });
    removeIfEmpty(created);
    throw fsFailure(e, `${input} ${dir}: cannot write there`);
  }
  try {
    takeLock(file, mine, `${input} ${dir}`);
  } catch (e) {
    removeIfEmpty(created);
    throw e;
  } finally {
    rmSync(mine, { force: true });
  }
  removeLitter(dir);
  const release = (): void => {
    process.off('exit', release);
    if (lockOwner(file) === process.pid) rmSync(file, { force: true });
    removeIfEmpty(created);
  };
  // A second Ctrl-C ends the process with process.exit(): the lock goes with it.
  process.on('exit', release);
  return { release };
}

/** Links `mine` (our pid) as `file`, or takes over a stale `file`; `where` names the folder in errors. */
function takeLock(file: string, mine: string, where: string): void {
  // Each pass ends in the lock, a refusal, or a lock that changed while we looked (another run took or released it).
  for (let pass = 0; pass < 10; pass++) {
    if (tryLink(mine, file, where)) return;
    const held = inspect(file, where);
    if (!held) continue;
    if (held.pid !== undefined && mayBeRun(held.pid)) {
      throw new Error(`${where}: in use by another run (pid ${held.pid}); wait for it to end or choose another folder ` +
        `(if pid ${held.pid} is no mnist20k run, delete ${file})`);
    }
    if (takeOver(file, mine, held, where)) return;
  }
  throw new Error(`${where}: its lock keeps changing hands; try again, or choose another folder`);
}

/** A lock file's content and identity, read through one descriptor so that they belong together. */
interface Held {
  pid?: number;
  id: string;
}

function inspect(file: string, where: string): Held | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsFailure(e, `${where}: cannot read ${file}`);
  }
  try {
    const stat = fstatSync(fd, { bigint: true });
    if (!stat.isFile()) throw new Error(`${where}: ${file} is not a lock file but a ${stat.isDirectory() ? 'folder' : 'special file'}; remove it`);
    return { pid: parsePid(readFileSync(fd, 'utf8')), id: `${stat.ino}-${stat.ctimeNs}` };
  } finally {
    closeSync(fd);
  }
}

/** Replaces the stale lock `held` by ours. Only the run holding the claim file for `held` (created with O_EXCL, named
 *  after the lock's inode and change time) may replace it, so one run wins however many try; a claim whose holder
 *  died is passed over to the next claim number. False when the lock changed meanwhile. */
function takeOver(file: string, mine: string, held: Held, where: string): boolean {
  for (let k = 0; ; k++) {
    const claim = `${file}.${held.id}-${k}.takeover`;
    if (tryLink(mine, claim, where)) {
      try {
        const now = inspect(file, where);
        if (now?.id !== held.id) return false;
        renameSync(mine, file); // atomic: the lock never goes missing, so no third run slips in
        return true;
      } finally {
        rmSync(claim, { force: true });
      }
    }
    const claimant = lockOwner(claim);
    if (claimant === undefined) return false; // its holder just finished: look at the lock again
    if (mayBeRun(claimant)) throw new Error(`${where}: another run (pid ${claimant}) is taking over its stale lock just now; choose another folder`);
  }
}

/** Hard-links `from` as `to`, which fails if `to` exists: the file appears with its content in one step. */
function tryLink(from: string, to: string, where: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fsFailure(e, `${where}: cannot create ${to}`);
  }
}

function lockOwner(file: string): number | undefined {
  try {
    return parsePid(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function parsePid(text: string): number | undefined {
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Temporary files (FILE.PID.tmp, from atomicWrite and from taking the lock) and take-over claims of processes that
 *  are gone: a kill in the middle of a write leaves them. We hold the lock, so nothing else writes here now. */
function removeLitter(dir: string): void {
  for (const name of readdirSync(dir)) {
    const tmp = /\.(\d+)\.tmp$/.exec(name);
    const pid = tmp ? Number(tmp[1]) : name.endsWith('.takeover') ? lockOwner(join(dir, name)) : undefined;
    if ((tmp || name.endsWith('.takeover')) && !(pid && mayBeRun(pid))) rmSync(join(dir, name), { force: true });
  }
}
