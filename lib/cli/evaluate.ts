import * as tf from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { parseOptions, positiveInt, text } from './args';
import { backendFromEnv, describeBackend, initBackend, parseBackendChoice } from '../backend/choose';
import { loadSplit } from '../data/mnist';
import { loadModel } from '../model/net';
import { evaluate } from '../train/evaluate';

export async function evaluateCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, {
    model: { type: 'string' },
    'data-dir': { type: 'string' },
    'test-samples': { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const dir = text(o.model, '--model');
  if (!dir) throw new Error('--model: required (a folder holding model.json and weights.bin)');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`--model ${dir}: not a folder (give the folder holding model.json)`);
  const backend = o.backend === undefined ? backendFromEnv() : parseBackendChoice(String(o.backend), '--backend');
  const test = loadSplit(text(o['data-dir'], '--data-dir'), 'test', positiveInt(o['test-samples'], '--test-samples'));
  const report = await initBackend(backend);
  const model = await loadModel(dir);
  checkShape(model, dir);
  const result = evaluate(model, test);
  model.dispose();
  if (o.json) {
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
  if (model.inputs.length !== 1 || input !== '28x28x1' || output !== '10') {
    model.dispose();
    throw new Error(`--model ${dir}: takes ${input} inputs and gives ${output} outputs; expected 28x28x1 images and 10 classes`);
  }
}
