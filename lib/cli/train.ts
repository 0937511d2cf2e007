import { runTraining, RunStopped } from '../run/runTraining';
import { readSettings, SETTING_KEYS, usageOf } from '../run/settings';
import { TerminalProgress } from '../views/progress';
import { Command } from './command';

/** `mnist20k train`: a checkpoint in --out after every epoch, the model and history at the end. --resume continues the
 *  checkpoint's run; Ctrl-C stops after the current batch and says how to resume. */
export const train: Command = {
  usage: usageOf().join(' '),
  keys: SETTING_KEYS,
  help: 'train, with DIR/checkpoint.json after every epoch, then DIR/model.json, weights.bin and history.json;\n' +
    '--resume continues DIR\'s checkpoint. Flags fall back to MNIST_* variables (train --help lists them)',
  async run(argv) {
    const config = readSettings({ argv });
    try {
      const run = await runTraining(config, new TerminalProgress(), process.cwd());
      run.model.dispose();
      console.log(`saved model and history to ${config.settings.out}`);
    } catch (e) {
      throw e instanceof RunStopped ? withResumeCommand(e, config.settings.out) : e;
    }
  },
};

/** The stop message, with the exact command that goes on from the last checkpoint; a signal's exit code is kept. */
function withResumeCommand(e: RunStopped, out: string): Error {
  const command = e.checkpointEpoch ? `; resume with: npx mnist20k train --resume --out ${shellQuote(out)}` : '';
  return Object.assign(new Error(e.message + command), { exitCode: (e.cause as { exitCode?: number }).exitCode });
}

function shellQuote(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
