import { constants } from 'node:os';

/** A run stopped by a signal; it exits with 128 + the signal's number, as a shell reports it. */
export class Interrupted extends Error {
  readonly exitCode: number;

  constructor(signal: NodeJS.Signals, where: string) {
    super(`interrupted by ${signal} ${where}`);
    this.exitCode = 128 + constants.signals[signal];
  }
}

/** Ctrl-C (SIGINT) or SIGTERM while training: the first asks the loop to stop where check() is next called (after the
 *  current batch); a second ends the process at once. */
export class StopOnSignal {
  private received?: NodeJS.Signals;

  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Throws Interrupted if a signal came; `where` says where training stands, e.g. "at epoch 2, batch 7". */
  check(where: string): void {
    if (this.received) throw new Interrupted(this.received, where);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.received) process.exit(128 + constants.signals[signal]);
    this.received = signal;
    this.log(`\n${signal}: stopping after this batch (press Ctrl-C again to quit at once)`);
  };
}
