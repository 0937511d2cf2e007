import { constants } from 'node:os';

/** A run stopped by a signal; it exits with 128 + the signal's number, as a shell reports it. */
export class Interrupted extends Error {
  readonly exitCode: number;

  /** `where` says where training stood, e.g. "at epoch 2, batch 7 of 469". */
  constructor(signal: NodeJS.Signals, readonly where: string) {
    super(`interrupted by ${signal} ${where}`);
    this.exitCode = 128 + constants.signals[signal];
  }
}

/** Where the signals come from. `terminal`: Ctrl-C (SIGINT) or SIGTERM; a second one ends the process at once.
 *  `kernel`: Jupyter's Interrupt, which is SIGINT for both kernel specs (Jupyter's shutdown is left alone). tslab's
 *  own SIGINT listener would end the cell at once and leave training running behind it, holding the run's folder, so
 *  while training runs the first Interrupt is kept from it; a second one is handed to it after all. Deno's kernel has
 *  no listener, and a SIGINT with none ends it (denoland/deno#24491): while training runs, ours keeps every Interrupt
 *  from it (in Deno, process.on('SIGINT') is Deno.addSignalListener). */
export type SignalSource = 'terminal' | 'kernel';

const SIGNALS: Record<SignalSource, NodeJS.Signals[]> = { terminal: ['SIGINT', 'SIGTERM'], kernel: ['SIGINT'] };
/** What the first signal prints; `kernelListens`: the kernel has a listener of its own for a second Interrupt. */
const NOTICE: Record<SignalSource, (signal: NodeJS.Signals, kernelListens: boolean) => string> = {
  terminal: (signal) => `\n${signal}: stopping after this batch (press Ctrl-C again to quit at once)`,
  kernel: (_, kernelListens) => `Interrupt: stopping after this batch${kernelListens ? ' (interrupt again to end the cell at once)' : ''}`,
};

/** A stop request by signal, for a training loop that calls check() after every batch. */
export class StopOnSignal {
  private received?: NodeJS.Signals;
  /** The kernel's SIGINT listeners, set aside while this one listens (kernel source only). */
  private displaced: ((signal: NodeJS.Signals) => void)[] = [];
  private starting?: NodeJS.Immediate;

  constructor(
    private readonly source: SignalSource = 'terminal',
    // console.error, not process.stderr.write: Deno's Jupyter kernel shows only what goes through console.
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    // tslab runs a cell's synchronous start under vm's breakOnSigint, which takes the SIGINT listeners off, puts the
    // same ones back when that start returns, and leaves SIGINT's disposition at "exit" unless putting them back
    // re-arms it: a listener swapped in meanwhile would end the kernel at the next Interrupt. So a kernel's
    // listeners are swapped on the next turn of the event loop, when the cell awaits.
    if (source === 'kernel') this.starting = setImmediate(() => this.listen());
    else this.listen();
  }

  /** Throws Interrupted if a signal came; `where` says where training stands, e.g. "at epoch 2, batch 7 of 469". */
  check(where: string): void {
    if (this.received) throw new Interrupted(this.received, where);
  }

  /** Stops listening and gives the kernel back its listeners. A request already received still stops check(). */
  dispose(): void {
    clearImmediate(this.starting);
    for (const l of this.displaced) process.on('SIGINT', l);
    this.displaced = [];
    for (const signal of SIGNALS[this.source]) process.off(signal, this.onSignal);
  }

  private listen(): void {
    for (const signal of SIGNALS[this.source]) process.on(signal, this.onSignal);
    if (this.source === 'kernel') {
      this.displaced = process.listeners('SIGINT').filter((l) => l !== this.onSignal);
      for (const l of this.displaced) process.off('SIGINT', l);
    }
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (!this.received) {
      this.received = signal;
      this.log(NOTICE[this.source](signal, this.displaced.length > 0));
    } else if (this.source === 'terminal') {
      process.exit(128 + constants.signals[signal]);
    } else if (this.displaced.length) {
      const kernel = this.displaced;
      this.dispose();
      for (const l of kernel) l(signal);
    }
  };
}
