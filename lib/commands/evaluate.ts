import { parseOptions, positiveInt, text } from '../args';
import { backendFromEnv, describeBackend, initBackend, parseBackendChoice } from '../backend';
import { loadMnist } from '../data';
import { loadModel } from '../model';
import { test } from '../train';

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
  const data = loadMnist({
    dataDir: text(o['data-dir'], '--data-dir'),
    trainSamples: 1,
    testSamples: positiveInt(o['test-samples'], '--test-samples'),
  });
  const report = await initBackend(backend);
  const model = await loadModel(dir);
  const score = test(model, data.test);
  model.dispose();
  if (o.json) {
    console.log(JSON.stringify({ model: dir, images: data.test.count, loss: score.loss, accuracy: score.acc, backend: report.backend }));
  } else {
    console.log(describeBackend(report));
    console.log(`test: ${data.test.count} images, loss ${score.loss.toFixed(4)}, accuracy ${score.acc.toFixed(2)}%`);
  }
}
