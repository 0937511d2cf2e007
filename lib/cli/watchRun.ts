import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILE, readCheckpoint } from '../run/checkpoint';
import { formatEpoch } from '../views/progress';
import { EpochStats } from '../train/loop';

const POLL_MS = 1000;

/** Follows a run that another process trains into `dir` (the notebook's training cell, under nbconvert) through the
 *  checkpoint it writes after every epoch: each new epoch is printed as `mnist20k train` prints it, with the time
 *  left. A checkpoint already there when watching starts is an earlier run's, and is not reported. */
export function watchRun(dir: string, print: (line: string) => void = console.log): { stop(): void } {
  const file = join(dir, CHECKPOINT_FILE);
  let seen = modified(file);
  let printed = 0;
  const poll = (): void => {
    const now = modified(file);
    if (now === undefined || now === seen) return;
    seen = now;
    const checkpoint = readCheckpoint(dir);
    if (!checkpoint) return;
    const { history, settings } = checkpoint;
    for (const s of history.slice(printed)) print(`${formatEpoch(s)} | ${timeLeft(history.slice(0, s.epoch), settings.epochs)}`);
    printed = history.length;
  };
  const timer = setInterval(() => {
    try {
      poll();
    } catch (e) {
      clearInterval(timer); // the run itself meets the same checkpoint and says what is wrong with it
      print(`(no more progress: ${(e as Error).message})`);
    }
  }, POLL_MS);
  return {
    /** Reports what the last checkpoint adds, then stops. */
    stop() {
      clearInterval(timer);
      poll();
    },
  };
}

function modified(file: string): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.mtimeMs;
}

/** The epochs left times the mean time of those done, train and test. */
function timeLeft(done: EpochStats[], epochs: number): string {
  const left = epochs - done.length;
  if (!left) return 'done';
  const seconds = (left * done.reduce((sum, s) => sum + s.seconds, 0)) / done.length;
  return `${done.length}/${epochs} epochs, about ${seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`} left`;
}
