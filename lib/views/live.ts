import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { Mnist } from '../data/mnist';
import { NetSpec } from '../model/spec';
import { runTraining, RunStopped, TrainedRun, TrainingView } from '../run/runTraining';
import { Configured, describeSettings } from '../run/settings';
import { BatchProgress, EpochStats, History } from '../train/loop';
import { ROOT } from '../util/paths';
import { cellError, resumesInterrupted } from './cellInterrupt';
import { LiveDisplay } from './display';
import { outputsDelivered } from './kernelOutput';
import { Figure, runCurves } from './plots';
import { formatEpoch } from './progress';

const PROGRESS_EVERY_MS = 250;

/** The notebook's training cell: the same run as `mnist20k train` (lib/run/runTraining.ts) on the data and network of
 *  the cells before, into MNIST_OUT relative to the project, drawn as a progress line (rate, ETA) and a learning-curve
 *  chart that grows as each epoch ends. (Positional arguments: tslab's rewriting of top-level names misses
 *  shorthand properties, so a cell's `{ data, model }` would not find them.) */
export async function trainLive(config: Configured, data: Mnist, model: tf.LayersModel, spec: NetSpec): Promise<TrainedRun> {
  const { out } = config.settings;
  const dir = resolve(ROOT, out);
  // After an Interrupt, running the cell again goes on from the checkpoint (docs/notebook.md: Interrupt).
  const settings = { ...config.settings, resume: config.settings.resume || resumesInterrupted(dir) };
  try {
    const run = await runTraining({ ...config, settings }, new NotebookProgress(), ROOT, { data, model, spec });
    console.log(`saved model.json, weights.bin and history.json to ${out}`);
    return run;
  } catch (e) {
    await outputsDelivered(); // else Deno's kernel would drop the last progress and the Interrupt notice (denoOutput.ts)
    const stopped = cellError(e, dir, out);
    if (stopped !== e || !(e instanceof RunStopped) || !e.checkpointEpoch) throw stopped;
    throw new Error(`${e.message}; set ${config.name('resume')}=1 to continue it`);
  }
}

/** Epoch lines under a progress line, and the learning curves; a resumed run starts with its checkpoint's epochs. */
class NotebookProgress implements TrainingView {
  readonly signals = 'kernel';
  private readonly progress = new LiveDisplay();
  private readonly curves = new LiveDisplay();
  private lines: string[] = [];
  private history: History = [];
  private curvesOf: (history: History) => Figure = () => { throw new Error('NotebookProgress: not started'); };
  private epochStart = 0;
  private lastDraw = 0;

  start({ settings, report, data, history }: Parameters<TrainingView['start']>[0]): void {
    this.curvesOf = (h) => runCurves(h, settings, data.train.count);
    console.log(`training: ${describeSettings(settings, report)}${history.length ? `; resuming after epoch ${history.length}` : ''}`);
    this.history = [...history];
    this.lines = history.map(formatEpoch);
    if (history.length) this.curves.figure(this.curvesOf(this.history));
  }

  onBatch(p: BatchProgress): void {
    if (p.batch === 1) this.epochStart = performance.now();
    const now = performance.now();
    if (now - this.lastDraw < PROGRESS_EVERY_MS && p.batch !== p.batches) return;
    this.lastDraw = now;
    this.progress.text([...this.lines, progressLine(p, (now - this.epochStart) / 1000)].join('\n'));
  }

  onEpoch(s: EpochStats): void {
    this.lines.push(formatEpoch(s));
    this.progress.text(this.lines.join('\n'));
    this.history.push(s);
    this.curves.figure(this.curvesOf(this.history));
  }

  async close(finished: boolean): Promise<void> {
    // The run's final curves are the next section's chart: the live one makes way for it rather than repeat it.
    if (finished) this.curves.text('(the learning curves are drawn below, under "Learning curves")');
    await Promise.all([this.progress.settled(), this.curves.settled()]);
  }
}

function progressLine(p: BatchProgress, seconds: number): string {
  const rate = p.seen / seconds;
  const width = 30;
  const done = Math.round((width * p.seen) / p.total);
  const eta = (p.total - p.seen) / rate;
  return `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.seen}/${p.total} ` +
    `| ${rate.toFixed(0)} img/s | ETA ${eta.toFixed(0)} s | loss ${p.loss.toFixed(4)} acc ${p.acc.toFixed(2)}%`;
}
