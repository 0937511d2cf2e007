import { parseOptions, positiveInt, text } from '../args';
import { backendFromEnv, describeBackend, initBackend, parseBackendChoice } from '../backend';
import { loadSplit } from '../data';
import { loadModel } from '../model';
import { test as score } from '../train';

export async function evaluate(argv: string[]): Promise<void> {
  const o = parseOptions(argv, {
    model: { type: 'string' },
    'data-dir': { type: 'string' },
    'test-samples': { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const dir = text(o.model, '--model');
  if (!dir) throw new Error('--model: required (a folder holding model.json and weights.bin)');
  const backend = o.backend === undefined ? backendFromEnv() : parseBackendChoice(String(o.backend), '--backend');
  const test = loadSplit(text(o['data-dir'], '--data-dir'), 'test', positiveInt(o['test-samples'], '--test-samples'));
  const report = await initBackend(backend);
  const model = await loadModel(dir);
  const result = score(model, test);
  model.dispose();
  if (o.json) {
    console.log(JSON.stringify({ model: dir, images: test.count, loss: result.loss, accuracy: result.acc, backend: report.backend }));
  } else {
    console.log(describeBackend(report));
    console.log(`test: ${test.count} images, loss ${result.loss.toFixed(4)}, accuracy ${result.acc.toFixed(2)}%`);
  }
}
