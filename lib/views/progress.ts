import { SingleBar } from 'cli-progress';
import { describeBackend } from '../backend/choose';
import { TrainingView } from '../run/runTraining';
import { describeSettings } from '../run/settings';
import { BatchProgress, EpochStats } from '../train/loop';

/** The terminal's view of training: what runs, then a bar per epoch with rate and ETA, then one line per finished
 *  epoch. */
export class TerminalProgress implements TrainingView {
  readonly signals = 'terminal';
  private bar: SingleBar | undefined;
  private epochStart = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  start({ settings, report, data, history }: Parameters<TrainingView['start']>[0]): void {
    console.log(describeBackend(report));
    console.log(`data: ${data.train.count} train, ${data.test.count} test images; ${describeSettings(settings, report)}` +
      (history.length ? `; resuming after epoch ${history.length}` : ''));
  }

  onBatch(p: BatchProgress): void {
    if (!this.bar) this.startBar(p);
    const rate = p.seen / ((performance.now() - this.epochStart) / 1000);
    this.bar!.update(p.seen, { rate: Math.round(rate), loss: p.loss.toFixed(4), acc: p.acc.toFixed(2) });
  }

  onEpoch(s: EpochStats): void {
    this.close();
    console.log(formatEpoch(s));
  }

  /** Ends the current bar, if any (the run ended mid-epoch). */
  close(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private startBar(p: BatchProgress): void {
    this.epochStart = performance.now();
    this.bar = new SingleBar({
      stream: this.stream,
      format: `epoch ${p.epoch}/${p.epochs} [{bar}] {value}/{total} img | {rate} img/s | ETA {eta_formatted} | loss {loss} acc {acc}%`,
      barsize: 24,
      etaBuffer: 50,
      hideCursor: false,
      clearOnComplete: true,
    });
    this.bar.start(p.total, 0, { rate: 0, loss: '-', acc: '-' });
  }
}

export function formatEpoch(s: EpochStats): string {
  return (
    `epoch ${String(s.epoch).padStart(2)}: train loss ${s.trainLoss.toFixed(4)} acc ${s.trainAcc.toFixed(2)}% | ` +
    `test loss ${s.testLoss.toFixed(4)} acc ${s.testAcc.toFixed(2)}% | ${s.seconds.toFixed(1)} s`
  );
}
