import { readFileSync } from 'node:fs';

/** Whether process `pid` may be a run holding a folder: this process, or one that is alive and, as far as /proc can
 *  tell, a Node.js or Deno program (the CLI, a notebook's tslab or Deno kernel, a test). A lock naming any other live process was left
 *  by a run whose pid has since been given to something else. */
export function mayBeRun(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!isAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc here, or not ours to read: it may be a run
  }
  return /node|mnist20k|tslab|deno/i.test(cmdline);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
