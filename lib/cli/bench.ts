import { describeBackend, initBackend } from '../backend/choose';
import { formatProfile, profileKernels } from '../backend/profile';
import { Batch, batches, loadMnist } from '../data/mnist';
import { buildNet } from '../model/net';
import { defaultShards, describeShards, readSettings, SettingKey, usageOf } from '../run/settings';
import { integer } from '../run/values';
import { Trainer } from '../train/step';
import { Rng } from '../util/rng';
import { Command } from './command';

const WARMUP_STEPS = 5;
const KEYS: SettingKey[] = ['batchSize', 'backend', 'dataDir', 'shards', 'modelSpec'];

/** `mnist20k bench`: times training steps on real MNIST batches, as the PyTorch peer does: 5 warm-up steps, then N
 *  timed ones. */
export const bench: Command = {
  usage: ['[--batches N]', ...usageOf(KEYS), '[--profile]'].join(' '),
  keys: KEYS,
  help: 'time N training steps (default 40) after a warm-up; --profile first prints the time of each kernel',
  run: runBench,
};

async function runBench(argv: string[]): Promise<void> {
  const { settings, extra } = readSettings({ argv, keys: KEYS, extra: { batches: 'string', profile: 'boolean' } });
  const steps = extra.batches === undefined ? 40 : integer(1)(String(extra.batches), '--batches');
  const data = loadMnist({ dataDir: settings.dataDir });
  const report = await initBackend(settings.backend);
  const recipe = { ...settings, shards: settings.shards ?? defaultShards(report.backend) };
  const model = buildNet({ seed: recipe.seed, spec: recipe.modelSpec });
  const trainer = await Trainer.create(model, recipe);
  console.log(describeBackend(report));
  console.log(`batch ${recipe.batchSize}, ${describeShards(recipe.shards, trainer.threads)}`);
  const order = new Rng(recipe.seed).permutation(data.train.count);
  const pool = fullBatches(batches(data.train, recipe.batchSize, order), WARMUP_STEPS + steps + 1);
  const step = (i: number) => trainer.step(pool[i % pool.length], i);

  for (let i = 0; i < WARMUP_STEPS; i++) await step(i);
  if (extra.profile) {
    // tf.profile times kernels of this thread only, so the profile is of the whole batch on one thread.
    const profiled = Math.min(steps, 10);
    const single = await Trainer.create(model, { ...recipe, shards: 1 });
    for (let i = 0; i < 2; i++) await single.step(pool[i], i); // the backend's first calls on a new batch shape are slower
    console.log(`profile, averaged over ${profiled} steps of batch ${recipe.batchSize} on one thread:`);
    console.log(formatProfile(await profileKernels((i) => single.step(pool[i % pool.length], i), { steps: profiled })));
    await single.dispose();
  }
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step(WARMUP_STEPS + i);
  const seconds = (performance.now() - start) / 1000;
  console.log(`train: ${((steps * recipe.batchSize) / seconds).toFixed(1)} img/s, ${((1000 * seconds) / steps).toFixed(1)} ms/step (${report.backend})`);
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
