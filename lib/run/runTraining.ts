import * as tf from '@tensorflow/tfjs';
import { join, resolve } from 'node:path';
import { BackendChoice, BackendReport, initBackend } from '../backend/choose';
import { loadMnist, Mnist } from '../data/mnist';
import { buildNet } from '../model/net';
import { isDefaultSpec, NetSpec } from '../model/spec';
import { BatchProgress, EpochStats, History, train } from '../train/loop';
import { checkBatchFits } from '../train/memory';
import { Checkpoint, CHECKPOINT_FILE, CorruptCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint';
import { SignalSource, StopOnSignal } from './interrupt';
import { lockRunDir } from './lock';
import { planRun } from './plan';
import { saveRun } from './record';
import { Configured, RunSettings, runSettings, Settings } from './settings';

/** How training is shown: the terminal's progress bar, the notebook's live output. */
export interface TrainingView {
  /** Where a stop request comes from: Ctrl-C in a terminal, Jupyter's Interrupt in a kernel. */
  readonly signals: SignalSource;
  /** Training is about to start (or go on from `history`, a resumed run's finished epochs). */
  start(run: { settings: RunSettings; report: BackendReport; data: Mnist; history: History }): void;
  onBatch(progress: BatchProgress): void;
  onEpoch(stats: EpochStats): void;
  /** Training ended, `finished` or not; awaited (a notebook's last updates may still be on their way). */
  close(finished: boolean): void | Promise<void>;
}

/** What a finished run gives back; the caller disposes the model. */
export interface TrainedRun {
  model: tf.LayersModel;
  history: History;
  settings: RunSettings;
  report: BackendReport;
  dir: string;
}

/** A run that ended before its last epoch (diverged, interrupted, failed); the message says where it can go on from. */
export class RunStopped extends Error {
  constructor(readonly cause: Error, readonly checkpointEpoch: number, where: string) {
    super(`${cause.message}; ${where}`);
  }
}

/** The data and network a notebook has already made in earlier cells; runTraining makes its own when absent. */
export interface Prepared {
  data?: Mnist;
  model?: tf.LayersModel;
  /** The spec `model` was built from, recorded with the run (default: the original network). */
  spec?: NetSpec;
}

/** One training run, as `mnist20k train` and the notebook's training cell both do it: claims the run folder (`out`,
 *  resolved against `root`), plans a fresh or resumed run, trains with a checkpoint after every epoch, stops after the
 *  current batch on Ctrl-C or SIGTERM (a Jupyter interrupt is a SIGINT), and writes the model and history.json.
 *  A failure is rethrown as RunStopped, naming the last good checkpoint. */
export async function runTraining(config: Configured, view: TrainingView, root: string, prepared: Prepared = {}): Promise<TrainedRun> {
  const dir = resolve(root, config.settings.out);
  const lock = lockRunDir(dir, config.name('out'));
  try {
    // Data and a network made before the run fix what a resumed run must have been made with.
    const made: Partial<Settings> = {
      ...(prepared.data && pick(config.settings, ['trainSamples', 'testSamples', 'dataDir'])),
      ...(prepared.model && { modelSpec: prepared.spec && !isDefaultSpec(prepared.spec) ? prepared.spec : undefined }),
    };
    const plan = planRun(dir, { ...config, settings: { ...config.settings, ...made }, given: { ...config.given, ...made } });
    const data = prepared.data ?? loadMnist(plan.settings, plan.name);
    const report = await initBackend(plan.settings.backend, plan.settings.threads, plan.name('backend'));
    const settings = runSettings(plan.settings, report.backend as BackendChoice);
    checkBatchFits({ ...settings, name: plan.name }, report.backend, { images: data.train.count });
    const model = prepared.model ?? buildNet({ seed: settings.seed, spec: settings.modelSpec });
    try {
      const history = await trainCheckpointed(model, data, dir, settings, plan.checkpoint, report, view);
      await saveRun(dir, model, { settings, backend: report, history });
      return { model, history, settings, report, dir };
    } catch (e) {
      if (!prepared.model) model.dispose();
      throw e;
    }
  } finally {
    lock.release();
  }
}

async function trainCheckpointed(
  model: tf.LayersModel, data: Mnist, dir: string, settings: RunSettings, from: Checkpoint | undefined,
  report: BackendReport, view: TrainingView,
): Promise<History> {
  let saved = from?.epoch ?? 0;
  let finished = false;
  const stop = new StopOnSignal(view.signals);
  view.start({ settings, report, data, history: from?.history ?? [] });
  try {
    const history = await train(model, data, settings, {
      start: start(model, dir, from),
      async onCheckpoint(state, optimizer) {
        await saveCheckpoint(dir, model, optimizer, settings, state);
        saved = state.epoch;
      },
      onBatch(p) {
        view.onBatch(p);
        stop.check(`at epoch ${p.epoch}, batch ${p.batch} of ${p.batches}`);
      },
      onEpoch(s) {
        view.onEpoch(s);
        if (s.epoch < settings.epochs) stop.check(`after epoch ${s.epoch}`);
      },
    });
    finished = true;
    return history;
  } catch (e) {
    if (e instanceof CorruptCheckpoint) throw e; // going back to it would fail again: no resume command
    const where = saved ? `the last good checkpoint (epoch ${saved} of ${settings.epochs}) is in ${dir}` : 'no epoch finished, so no checkpoint';
    throw new RunStopped(e as Error, saved, where);
  } finally {
    stop.dispose();
    await view.close(finished);
  }
}

/** Where the loop starts: after the checkpoint's epoch, with its weights and momentum, or at the beginning. */
function start(model: tf.LayersModel, dir: string, from: Checkpoint | undefined) {
  return from && {
    ...from,
    restore: (optimizer: tf.Optimizer) => restoreCheckpoint(join(dir, CHECKPOINT_FILE), from, model, optimizer),
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}
