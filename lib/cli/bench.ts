import { parseOptions, positiveInt, text } from './args';
import { backendFromEnv, describeBackend, initBackend, parseBackendChoice } from '../backend/choose';
import { Batch, batches, loadMnist } from '../data/mnist';
import { buildNet } from '../model/net';
import { formatProfile, profileKernels } from '../backend/profile';
import { Rng } from '../util/rng';
import { DEFAULTS } from '../train/loop';
import { Trainer } from '../train/step';

const WARMUP_STEPS = 5;

/** Times training steps on real MNIST batches, as the PyTorch peer does: 5 warm-up steps, then N timed ones. */
export async function bench(argv: string[]): Promise<void> {
  const o = parseOptions(argv, {
    batches: { type: 'string' },
    'batch-size': { type: 'string' },
    backend: { type: 'string' },
    'data-dir': { type: 'string' },
    threads: { type: 'string' },
    profile: { type: 'boolean' },
  });
  const steps = positiveInt(o.batches, '--batches', 40);
  const batchSize = positiveInt(o['batch-size'], '--batch-size', DEFAULTS.batchSize);
  const backend = o.backend === undefined ? backendFromEnv() : parseBackendChoice(String(o.backend), '--backend');
  const data = loadMnist({ dataDir: text(o['data-dir'], '--data-dir') });
  const report = await initBackend(backend);
  const threads = positiveInt(o.threads, '--threads', report.threads);
  console.log(describeBackend(report));
  if (threads !== report.threads) console.log(`threads: ${threads}`);

  const model = buildNet({ seed: DEFAULTS.seed });
  const trainer = await Trainer.create(model, { lr: DEFAULTS.lr, momentum: DEFAULTS.momentum, shards: threads, workers: threads - 1 });
  const order = new Rng(DEFAULTS.seed).permutation(data.train.count);
  const pool = fullBatches(batches(data.train, batchSize, order), WARMUP_STEPS + steps + 1);
  const step = (i: number) => trainer.step(pool[i % pool.length], i);

  for (let i = 0; i < WARMUP_STEPS; i++) await step(i);
  if (o.profile) {
    // tf.profile times kernels of this thread only, so the profile is of the whole batch on one thread.
    const profiled = Math.min(steps, 10);
    const single = await Trainer.create(model, { lr: DEFAULTS.lr, momentum: DEFAULTS.momentum, shards: 1, workers: 0 });
    for (let i = 0; i < 2; i++) await single.step(pool[i], i); // the backend's first calls on a new batch shape are slower
    console.log(`profile, averaged over ${profiled} steps of batch ${batchSize} on one thread:`);
    console.log(formatProfile(await profileKernels((i) => single.step(pool[i % pool.length], i), { steps: profiled })));
    await single.dispose();
  }
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step(WARMUP_STEPS + i);
  const seconds = (performance.now() - start) / 1000;
  console.log(`train: ${((steps * batchSize) / seconds).toFixed(1)} img/s, ${((1000 * seconds) / steps).toFixed(1)} ms/step (${report.backend})`);
  await trainer.dispose();
  model.dispose();
}

function fullBatches(source: Iterable<Batch>, count: number): Batch[] {
  const pool: Batch[] = [];
  for (const b of source) {
    if (pool.length === count) break;
    if (b.size === (pool[0]?.size ?? b.size)) pool.push(b);
  }
  return pool;
}
