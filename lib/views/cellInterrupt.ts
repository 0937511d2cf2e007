import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { CHECKPOINT_FILE } from '../run/checkpoint';
import { Interrupted } from '../run/interrupt';
import { RunStopped } from '../run/runTraining';

/** Run folders whose training this kernel stopped on an Interrupt, each with a checkpoint to go on from. */
const interrupted = new Set<string>();

/** An error the notebook shows as its message alone: an Interrupt is no bug, and a stack trace would bury the line that
 *  says how to go on. (tslab prints the error a cell ends with through console.error, that is util.inspect.) */
class CellStopped extends Error {
  [inspect.custom](): string {
    return this.message;
  }
}

/** Whether the training cell, run again, continues the run in `dir` rather than starting afresh: this kernel
 *  interrupted it, and its checkpoint is still there (deleting the folder starts over). Answers true once. */
export function resumesInterrupted(dir: string): boolean {
  const resumes = interrupted.has(dir) && existsSync(join(dir, CHECKPOINT_FILE));
  interrupted.delete(dir);
  return resumes;
}

/** The error a training cell ends with: an interruption as one line saying where training stopped and how to go on
 *  (`out` names the run's folder as the settings give it); any other error unchanged. */
export function cellError(e: unknown, dir: string, out: string): unknown {
  if (!(e instanceof RunStopped && e.cause instanceof Interrupted)) return e;
  const { where } = e.cause;
  if (!e.checkpointEpoch) {
    return new CellStopped(`Interrupted ${where}, before the first epoch ended, so there is no checkpoint: ` +
      'run the cells from "The network" on to start again.');
  }
  interrupted.add(dir);
  return new CellStopped(`Interrupted ${where}; the checkpoint of epoch ${e.checkpointEpoch} is in ${out}: run this cell ` +
    `again to continue from it, or delete ${out} and run the cells from "The network" on to start over.`);
}
