import * as tf from '@tensorflow/tfjs';
import { parseOptions, positiveInt, text } from '../args';
import { backendFromEnv, describeBackend, initBackend, parseBackendChoice } from '../backend';
import { Batch, batches, loadMnist } from '../data';
import { buildNet } from '../model';
import { Rng } from '../rng';
import { DEFAULTS, trainStep } from '../train';

const WARMUP_STEPS = 5;

/** Times training steps on real MNIST batches, as the PyTorch peer does: 5 warm-up steps, then N timed ones. */
export async function bench(argv: string[]): Promise<void> {
  const o = parseOptions(argv, {
    batches: { type: 'string' },
    'batch-size': { type: 'string' },
    backend: { type: 'string' },
    'data-dir': { type: 'string' },
    profile: { type: 'boolean' },
  });
  const steps = positiveInt(o.batches, '--batches', 40);
  const batchSize = positiveInt(o['batch-size'], '--batch-size', DEFAULTS.batchSize);
  const backend = o.backend === undefined ? backendFromEnv() : parseBackendChoice(String(o.backend), '--backend');
  const data = loadMnist({ dataDir: text(o['data-dir'], '--data-dir') });
  const report = await initBackend(backend);
  console.log(describeBackend(report));

  const model = buildNet({ seed: DEFAULTS.seed });
  const optimizer = tf.train.momentum(DEFAULTS.lr, DEFAULTS.momentum);
  const order = new Rng(DEFAULTS.seed).permutation(data.train.count);
  const pool = fullBatches(batches(data.train, batchSize, order), WARMUP_STEPS + steps + 1);
  const step = (i: number): void => void trainStep(model, optimizer, pool[i % pool.length]);

  for (let i = 0; i < WARMUP_STEPS; i++) step(i);
  if (o.profile) await printProfile(() => step(WARMUP_STEPS), pool[0]);
  const start = performance.now();
  for (let i = 0; i < steps; i++) step(WARMUP_STEPS + i);
  const seconds = (performance.now() - start) / 1000;
  console.log(`train: ${((steps * batchSize) / seconds).toFixed(1)} img/s, ${((1000 * seconds) / steps).toFixed(1)} ms/step (${report.backend})`);
  optimizer.dispose();
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

/** Per-kernel time of one training step, largest first. */
async function printProfile(step: () => void, batch: Batch): Promise<void> {
  const info = await tf.profile(step);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    if (!tf.getKernel(k.name, tf.getBackend())) continue; // op scopes (customGrad, fused ops) nest kernels listed too
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    byKernel.set(k.name, { ms: entry.ms + ms, calls: entry.calls + 1 });
  }
  const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, v]) => s + v.ms, 0);
  console.log(`profile of one step (batch ${batch.size}), ${total.toFixed(1)} ms in kernels:`);
  for (const [name, v] of rows) {
    console.log(`  ${name.padEnd(24)} ${v.ms.toFixed(2).padStart(9)} ms ${((100 * v.ms) / total).toFixed(1).padStart(5)}%  ${v.calls} calls`);
  }
}
