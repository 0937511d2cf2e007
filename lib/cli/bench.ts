import { describeBackend, initBackend } from '../backend/choose';
import { formatProfile, profileKernels } from '../backend/profile';
import { GpuWork, watchGpuWork } from '../backend/webgpuWork';
import { DeviceBatch, DeviceSplit, disposeBatch, isDeviceBatch } from '../data/device';
import { Batch, batches, loadMnist, MnistSplit } from '../data/mnist';
import { buildNet } from '../model/net';
import { describeShards, readSettings, SettingKey, usageOf } from '../run/settings';
import { integer } from '../run/values';
import { checkBatchFits } from '../train/memory';
import { PendingSteps, readOutcomes } from '../train/metrics';
import { Trainer } from '../train/step';
import { Rng } from '../util/rng';
import { Command } from './command';

const WARMUP_STEPS = 5;
const KEYS: SettingKey[] = ['batchSize', 'backend', 'dataDir', 'shards', 'threads', 'modelSpec'];

/** `mnist20k bench`: times training steps on real MNIST batches, as the PyTorch peer does: 5 warm-up steps, then N
 *  timed ones, fed and read back as training does (a single shard's batches gathered on the backend, the losses read
 *  every READ_EVERY_MS), the clock stopping when the last step's loss is back. */
export const bench: Command = {
  usage: ['[--batches N]', ...usageOf(KEYS), '[--profile [--by-shape]]'].join(' '),
  keys: KEYS,
  help: 'time N training steps (default 40) after a warm-up; --profile first prints the time of each kernel\n(and, on webgpu, its GPU dispatches, then the host\'s work per step: its time, submits, buffers, bytes);\n--by-shape gives a line to each kernel and shapes of its inputs, which tells the layers apart',
  run: runBench,
};

async function runBench(argv: string[]): Promise<void> {
  const { settings, extra, name } = readSettings({ argv, keys: KEYS, extra: { batches: 'string', profile: 'boolean', 'by-shape': 'boolean' } });
  if (extra['by-shape'] && !extra.profile) throw new Error('--by-shape: it splits the profile by input shapes; add --profile');
  const steps = extra.batches === undefined ? 40 : integer(1)(String(extra.batches), '--batches');
  const data = loadMnist({ dataDir: settings.dataDir }, name);
  if (data.train.count < settings.batchSize) {
    throw new Error(`${name('batchSize')} ${settings.batchSize}: bench times full batches, and the data hold ${data.train.count} training images`);
  }
  const report = await initBackend(settings.backend, settings.threads, name('backend'));
  checkBatchFits({ ...settings, name }, report.backend);
  const recipe = settings;
  const model = buildNet({ seed: recipe.seed, spec: recipe.modelSpec });
  const trainer = new Trainer(model, recipe);
  console.log(describeBackend(report));
  console.log(`batch ${recipe.batchSize}, ${describeShards(recipe.shards, report)}`);
  const order = new Rng(recipe.seed).permutation(data.train.count);
  const onDevice = recipe.shards === 1 ? DeviceSplit.upload(data.train) : undefined;
  const inputs = feed(data.train, recipe.batchSize, order, onDevice);
  const step = async (i: number) => {
    const b = inputs.next().value as Batch | DeviceBatch;
    try {
      return await trainer.step(b, i);
    } finally {
      if (isDeviceBatch(b)) disposeBatch(b);
    }
  };

  for (let i = 0; i < WARMUP_STEPS; i++) await readOutcomes([await step(i)]);
  if (extra.profile) {
    // Each kernel's time from start to end, whatever threads it ran on.
    const profiled = Math.min(steps, 10);
    const pool = fullBatches(batches(data.train, recipe.batchSize, order), profiled);
    const profiledStep = async (i: number) => readOutcomes([await trainer.step(pool[i % pool.length], i)]);
    console.log(`profile, averaged over ${profiled} steps of batch ${recipe.batchSize}:`);
    console.log(formatProfile(await profileKernels(profiledStep, { steps: profiled, byShape: extra['by-shape'] === true })));
    // with more shards a step waits for each shard's gradients, which the host's time must not include
    if (report.backend === 'webgpu' && recipe.shards === 1) console.log(formatHostWork(await hostWork(trainer, inputs, profiled), profiled));
  }
  const pending = new PendingSteps();
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    pending.add(await step(WARMUP_STEPS + i));
    await pending.read();
  }
  await pending.read(true);
  const seconds = (performance.now() - start) / 1000;
  console.log(`train: ${((steps * recipe.batchSize) / seconds).toFixed(1)} img/s, ${((1000 * seconds) / steps).toFixed(1)} ms/step (${report.backend})`);
  inputs.return(undefined); // ends the epoch generator, which frees its order tensor
  trainer.dispose();
  onDevice?.dispose();
  model.dispose();
}

/** Full batches in `order`, round and round, as training feeds them: gathered on the backend when `onDevice`. */
function* feed(split: MnistSplit, batchSize: number, order: Uint32Array, onDevice?: DeviceSplit): Generator<Batch | DeviceBatch> {
  for (;;) {
    for (const b of onDevice ? onDevice.batches(batchSize, order) : batches(split, batchSize, order)) {
      if (b.size === batchSize) yield b;
      else if (isDeviceBatch(b)) disposeBatch(b);
    }
  }
}

function fullBatches(source: Iterable<Batch>, count: number): Batch[] {
  const pool: Batch[] = [];
  for (const b of source) {
    if (pool.length === count) break;
    if (b.size === (pool[0]?.size ?? b.size)) pool.push(b);
  }
  return pool;
}

/** The host's part of a webgpu step, over `steps` batches fed as training feeds them, outside the profiler (whose
 *  timestamp queries and reads would add their own): the JavaScript thread's time in the step's synchronous work —
 *  recording the kernels, encoding, submitting, issuing the reads, and the garbage collection that falls inside
 *  them — with the wait for the GPU to finish left out; and the GPU work it asked for (webgpuWork.ts). */
async function hostWork(trainer: Trainer, inputs: Iterator<Batch | DeviceBatch>, steps: number): Promise<{ hostMs: number; work: GpuWork }> {
  const watch = watchGpuWork();
  let hostMs = 0;
  try {
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      const batch = inputs.next().value as Batch | DeviceBatch; // gathered on the GPU: part of the step's host work
      const stepping = trainer.step(batch, i); // a single shard's step records everything before it returns
      hostMs += performance.now() - t0;
      const outcome = await stepping;
      const t1 = performance.now();
      const reading = readOutcomes([outcome]);
      if (isDeviceBatch(batch)) disposeBatch(batch);
      hostMs += performance.now() - t1;
      await reading; // the wait for the GPU
    }
  } finally {
    watch.stop();
  }
  return { hostMs, work: watch.work };
}

function formatHostWork({ hostMs, work }: { hostMs: number; work: GpuWork }, steps: number): string {
  const per = (n: number) => Math.round(n / steps);
  const bytes = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${Math.round(n)} B`);
  return [
    `host, per step over ${steps} steps outside the profiler (counts exact; the time depends on this machine and adapter):`,
    `  ${(hostMs / steps).toFixed(1)} ms on the JavaScript thread (recording, encoding, submitting; garbage collection included; waiting for the GPU left out)`,
    `  ${per(work.dispatches)} GPU dispatches, ${per(work.copies)} copies, ${per(work.submits)} queue submits, ${per(work.buffersCreated)} buffers created, ` +
      `${per(work.bindGroups)} bind groups, ${bytes(work.bytesUploaded / steps)} uploaded, ${bytes(work.bytesReadBack / steps)} read back`,
  ].join('\n');
}
