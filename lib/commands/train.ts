import { join, resolve } from 'node:path';
import { nonNegativeInt, parseOptions, positiveInt, positiveNumber, text } from '../args';
import { backendFromEnv, describeBackend, initBackend, parseBackendChoice } from '../backend';
import { loadMnist } from '../data';
import { buildNet } from '../model';
import { TerminalProgress } from '../progress';
import { saveRun } from '../run';
import { DEFAULTS, train } from '../train';

export async function trainCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, {
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    momentum: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    'train-samples': { type: 'string' },
    'test-samples': { type: 'string' },
    'data-dir': { type: 'string' },
    out: { type: 'string' },
  });
  const opts = {
    epochs: positiveInt(o.epochs, '--epochs', DEFAULTS.epochs),
    batchSize: positiveInt(o['batch-size'], '--batch-size', DEFAULTS.batchSize),
    lr: positiveNumber(o.lr, '--lr', DEFAULTS.lr),
    momentum: momentumValue(o.momentum),
    seed: nonNegativeInt(o.seed, '--seed', DEFAULTS.seed),
  };
  const out = resolve(text(o.out, '--out') ?? join('runs', 'latest'));
  const backend = o.backend === undefined ? backendFromEnv() : parseBackendChoice(String(o.backend), '--backend');
  const data = loadMnist({
    dataDir: text(o['data-dir'], '--data-dir'),
    trainSamples: positiveInt(o['train-samples'], '--train-samples'),
    testSamples: positiveInt(o['test-samples'], '--test-samples'),
  });

  const report = await initBackend(backend);
  console.log(describeBackend(report));
  console.log(`data: ${data.train.count} train, ${data.test.count} test images; ` +
    `epochs ${opts.epochs}, batch ${opts.batchSize}, lr ${opts.lr}, momentum ${opts.momentum}, seed ${opts.seed}`);
  const model = buildNet({ seed: opts.seed });
  const progress = new TerminalProgress();
  const history = await train(model, data, { ...opts, onBatch: progress.onBatch, onEpoch: progress.onEpoch });

  await saveRun(out, model, { backend: report, options: opts, history });
  console.log(`saved model and history to ${out}`);
  model.dispose();
}

function momentumValue(value: string | boolean | undefined): number {
  const m = positiveNumber(value, '--momentum', DEFAULTS.momentum);
  if (m >= 1) throw new Error(`--momentum: expected a value below 1, got '${value}'`);
  return m;
}
