import * as tf from '@tensorflow/tfjs';
import { bench } from './bench';
import { doctor } from './doctor';
import { evaluateCommand } from './evaluate';
import { trainCommand } from './train';
import { buildNet } from '../model/net';
import { summary } from '../model/summary';

const USAGE = `usage: mnist20k <command> [flags]

commands:
  summary                      print the network's layer table (torchsummary format)
  train [--epochs N] [--batch-size N] [--lr X] [--momentum X] [--seed N] [--backend B]
        [--train-samples N] [--test-samples N] [--data-dir D] [--out DIR] [--resume]
                               train with DIR/checkpoint.json after every epoch, then write DIR/model.json,
                               DIR/weights.bin, DIR/history.json; --resume continues DIR's checkpoint
  evaluate --model DIR [--data-dir D] [--test-samples N] [--backend B] [--json]
                               test loss and accuracy of a saved model
  bench [--batches N] [--batch-size N] [--backend B] [--profile]
                               time N training steps after a warm-up
  doctor                       which backends load here and which one is chosen

backends (B): auto (default: tensorflow, then wasm, then cpu), tensorflow, wasm, cpu; or set MNIST_BACKEND.
add --verbose to any command to see stack traces.`;

type Command = (argv: string[]) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  summary: printSummary,
  train: trainCommand,
  evaluate: evaluateCommand,
  bench,
  doctor,
};

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const args = argv.filter((a) => a !== '--verbose');
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`mnist20k: unknown command '${name}' (try: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (e) {
    console.error(`mnist20k ${name}: ${verbose && e instanceof Error ? e.stack : (e as Error).message ?? e}`);
    return (e as { exitCode?: number }).exitCode ?? 1;
  }
}

async function printSummary(argv: string[]): Promise<void> {
  if (argv.length) throw new Error(`unexpected argument '${argv[0]}'`);
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const model = buildNet();
  console.log(summary(model));
  model.dispose();
}
