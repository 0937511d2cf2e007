import { existsSync, statSync } from 'node:fs';
import { describeBackend, initBackend } from '../backend/choose';
import { loadSplit } from '../data/mnist';
import { loadModel } from '../model/saved';
import { checkOneRun } from '../run/record';
import { readSettings, SettingKey, usageOf } from '../run/settings';
import { evaluate } from '../train/evaluate';
import { Command } from './command';

const KEYS: SettingKey[] = ['dataDir', 'testSamples', 'backend'];

/** `mnist20k evaluate`: the test loss and accuracy of a saved model. */
export const evaluateCommand: Command = {
  usage: ['--model DIR', ...usageOf(KEYS), '[--json]'].join(' '),
  keys: KEYS,
  help: 'test loss and accuracy of a saved model',
  run: evaluateModel,
};

async function evaluateModel(argv: string[]): Promise<void> {
  const { settings, extra, name } = readSettings({ argv, keys: KEYS, extra: { model: 'string', json: 'boolean' } });
  const dir = extra.model as string | undefined;
  if (!dir) throw new Error('--model: required (a folder holding model.json and weights.bin)');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`--model ${dir}: not a folder (give the folder holding model.json)`);
  const test = loadSplit(settings.dataDir, 'test', settings.testSamples, name);
  const report = await initBackend(settings.backend, undefined, name('backend'));
  checkOneRun(dir);
  const model = await loadModel(dir);
  const result = await evaluate(model, test);
  model.dispose();
  if (extra.json) {
    console.log(JSON.stringify({ model: dir, images: test.count, loss: result.loss, accuracy: result.acc, backend: report.backend }));
  } else {
    console.log(describeBackend(report));
    console.log(`test: ${test.count} images, loss ${result.loss.toFixed(4)}, accuracy ${result.acc.toFixed(2)}%`);
  }
}
