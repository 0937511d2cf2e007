import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { Checkpoint, CHECKPOINT_FILE, CorruptCheckpoint, readCheckpoint, restoreCheckpoint, RunSettings, saveCheckpoint } from './checkpoint';
import { Mnist } from '../data/mnist';
import { History, train, TrainOptions } from '../train/loop';

/** What the user asked for; `threads` is known only once the backend runs, unless a checkpoint fixes it. */
export type RequestedSettings = Omit<RunSettings, 'threads'> & { threads?: number };

/** How the user names each setting, the run's folder and the resume switch (flags or environment variables). */
export type SettingNames = Record<keyof RunSettings | 'out' | 'resume', string>;

/** Settings that shape a run's trajectory, which a resumed run keeps. Epochs, learning rate and its schedule, momentum
 *  and backend may change: to extend a run, or to go on more gently after a divergence. */
const FIXED: (keyof RunSettings)[] = ['batchSize', 'seed', 'trainSamples', 'testSamples', 'dataDir', 'threads'];

export interface RunPlan {
  settings: RequestedSettings;
  checkpoint?: Checkpoint;
}

/** What a run in `dir` goes on with. Fresh: `requested`, unless `dir` holds an unfinished run it would overwrite.
 *  Resumed: the checkpoint's settings, changed only where `given` (the settings the user set; a key present with
 *  the value undefined means "all images", "the packaged data") may. */
export function planRun(dir: string, requested: RequestedSettings, given: Partial<RunSettings>, resume: boolean, names: SettingNames): RunPlan {
  const checkpoint = readCheckpoint(dir);
  if (!resume) {
    if (checkpoint && checkpoint.epoch < checkpoint.settings.epochs) {
      throw new Error(`${names.out} ${dir}: holds an unfinished run (epoch ${checkpoint.epoch} of ${checkpoint.settings.epochs}); ` +
        `use ${names.resume} to continue it, or choose another folder`);
    }
    return { settings: requested };
  }
  if (!checkpoint) throw new Error(`${names.resume}: no checkpoint in ${dir} (${CHECKPOINT_FILE}) to continue`);
  for (const key of FIXED) {
    if (key in given && given[key] !== checkpoint.settings[key]) {
      throw new Error(`${names[key]}: the run in ${dir} was made with ${checkpoint.settings[key] ?? 'the default'}, ` +
        `not ${given[key]}; a resumed run keeps it`);
    }
  }
  const settings = { ...checkpoint.settings, ...pick(given, ['epochs', 'lr', 'lrStep', 'lrGamma', 'momentum', 'backend']) };
  if (settings.epochs < checkpoint.epoch) {
    throw new Error(`${names.epochs}: ${settings.epochs}, but the run in ${dir} has already done ${checkpoint.epoch} epochs`);
  }
  return { settings, checkpoint };
}

/** A run that ended before its last epoch (diverged, interrupted, failed); the message says where it can go on from. */
export class RunStopped extends Error {
  constructor(readonly cause: Error, readonly checkpointEpoch: number, where: string) {
    super(`${cause.message}; ${where}`);
  }
}

/** Trains with a checkpoint in `dir` after every epoch, continuing `from` when given. A failure is rethrown as
 *  RunStopped, naming the last good checkpoint, unless `from` itself does not fit the network. */
export async function trainCheckpointed(
  model: tf.LayersModel, data: Mnist, dir: string, settings: RunSettings, from: Checkpoint | undefined,
  hooks: Pick<TrainOptions, 'onBatch' | 'onEpoch'>,
): Promise<History> {
  let saved = from?.epoch ?? 0;
  const start = from && {
    ...from,
    restore: (optimizer: tf.Optimizer) => restoreCheckpoint(join(dir, CHECKPOINT_FILE), from, model, optimizer),
  };
  try {
    return await train(model, data, {
      ...settings,
      ...hooks,
      start,
      async onCheckpoint(state, optimizer) {
        await saveCheckpoint(dir, model, optimizer, settings, state);
        saved = state.epoch;
      },
    });
  } catch (e) {
    if (e instanceof CorruptCheckpoint) throw e; // going back to it would fail again: no resume command
    const where = saved ? `the last good checkpoint (epoch ${saved} of ${settings.epochs}) is in ${dir}` : 'no epoch finished, so no checkpoint';
    throw new RunStopped(e as Error, saved, where);
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;
}
