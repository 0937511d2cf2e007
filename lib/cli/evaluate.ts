import * as tf from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { describeBackend, initBackend } from '../backend/choose';
import { IMAGE_SHAPE, loadSplit } from '../data/mnist';
import { loadModel } from '../model/saved';
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
  const { settings, extra } = readSettings({ argv, keys: KEYS, extra: { model: 'string', json: 'boolean' } });
  const dir = extra.model as string | undefined;
  if (!dir) throw new Error('--model: required (a folder holding model.json and weights.bin)');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`--model ${dir}: not a folder (give the folder holding model.json)`);
  const test = loadSplit(settings.dataDir, 'test', settings.testSamples);
  const report = await initBackend(settings.backend);
  const model = await loadModel(dir);
  checkShape(model, dir);
  const result = await evaluate(model, test);
  model.dispose();
  if (extra.json) {
    console.log(JSON.stringify({ model: dir, images: test.count, loss: result.loss, accuracy: result.acc, backend: report.backend }));
  } else {
    console.log(describeBackend(report));
    console.log(`test: ${test.count} images, loss ${result.loss.toFixed(4)}, accuracy ${result.acc.toFixed(2)}%`);
  }
}

/** A model for other images or classes would fail deep inside tfjs; say so in one line instead. */
function checkShape(model: tf.LayersModel, dir: string): void {
  const input = model.inputs[0].shape.slice(1).join('x');
  const output = model.outputs[0].shape.slice(1).join('x');
  if (model.inputs.length !== 1 || input !== IMAGE_SHAPE.join('x') || output !== '10') {
    model.dispose();
    throw new Error(`--model ${dir}: takes ${input} inputs and gives ${output} outputs; expected ${IMAGE_SHAPE.join('x')} images and 10 classes`);
  }
}
