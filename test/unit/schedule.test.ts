import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { learningRate, learningRateCurve } from '../../lib/train/schedule';
import { ROOT } from '../../lib/util/paths';

const base = { lr: 0.01, lrSchedule: 'step' as const, lrStep: 8, lrGamma: 0.1, lrWarmup: 0.3, epochs: 20 };

interface OneCycleCase { lr: number; epochs: number; stepsPerEpoch: number; lrWarmup: number; steps: number[]; rates: number[] }

test('onecycle gives the rates PyTorch\'s OneCycleLR gives, batch by batch (test/fixtures/onecycle-lr.py recorded them)', () => {
  const { cases } = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/onecycle-lr.json'), 'utf8')) as { cases: OneCycleCase[] };
  assert.equal(cases.length, 5);
  for (const c of cases) {
    const recipe = { ...base, lrSchedule: 'onecycle' as const, lr: c.lr, epochs: c.epochs, lrWarmup: c.lrWarmup };
    c.steps.forEach((step, i) => {
      const ours = learningRate(recipe, step, c.stepsPerEpoch);
      assert.ok(Math.abs(ours - c.rates[i]) <= 1e-12 * c.lr, `lr ${c.lr}, ${c.epochs}×${c.stepsPerEpoch} steps, warm-up ${c.lrWarmup}: step ${step} ours ${ours}, PyTorch ${c.rates[i]}`);
    });
  }
});

test('onecycle rises from lr/25 to lr over the warm-up, then falls to lr/25/10⁴ at the last step (random settings)', () => {
  for (let trial = 0; trial < 50; trial++) {
    const epochs = 1 + Math.floor(Math.random() * 20);
    const stepsPerEpoch = 2 + Math.floor(Math.random() * 500);
    const recipe = { ...base, lrSchedule: 'onecycle' as const, lr: 0.001 + Math.random(), epochs, lrWarmup: 0.05 + 0.9 * Math.random() };
    const rates = [...Array(epochs * stepsPerEpoch).keys()].map((s) => learningRate(recipe, s, stepsPerEpoch));
    const peak = rates.indexOf(Math.max(...rates));
    assert.ok(Math.abs(rates[0] - recipe.lr / 25) < 1e-12, 'starts at lr/25');
    assert.ok(Math.abs(rates.at(-1)! - recipe.lr / 25 / 1e4) < 1e-12, 'ends at lr/25/1e4');
    assert.ok(Math.max(...rates) <= recipe.lr * (1 + 1e-12));
    assert.ok(Math.abs(peak - (recipe.lrWarmup * rates.length - 1)) <= 1, `peak at step ${peak} of ${rates.length}`);
    for (let s = 1; s < rates.length; s++) assert.ok(s <= peak ? rates[s] >= rates[s - 1] : rates[s] <= rates[s - 1], `monotone at ${s}`);
  }
});

test('step multiplies the rate by lrGamma every lrStep epochs, whatever the step within the epoch; constant and lrStep 0 keep it', () => {
  const steps = 7;
  const at = (epoch: number, batch: number, r = {}) => learningRate({ ...base, ...r }, (epoch - 1) * steps + batch, steps);
  assert.deepEqual([[1, 0], [8, 6], [9, 0], [16, 3], [17, 0]].map(([e, b]) => at(e, b)), [0.01, 0.01, 0.01 * 0.1, 0.01 * 0.1, 0.01 * 0.1 ** 2]);
  assert.equal(at(30, 5, { lrStep: 0 }), 0.01);
  assert.equal(at(30, 5, { lrSchedule: 'constant' }), 0.01);
});

test('the curve for a chart ends at the last step, shows a step schedule\'s jumps, and keeps to its number of points', () => {
  const step = learningRateCurve({ ...base, epochs: 20 }, 469);
  assert.equal(step.epoch.at(-1), (20 * 469 - 1) / 469);
  assert.ok(step.epoch.includes(8) && step.epoch.includes(8 - 1 / 469), 'both sides of the drop after epoch 8');
  assert.equal(step.rate[step.epoch.indexOf(8)], learningRate(base, 8 * 469, 469));
  const cycle = learningRateCurve({ ...base, lrSchedule: 'onecycle', epochs: 15, lr: 0.05 }, 469, 300);
  assert.ok(cycle.epoch.length <= 301);
  assert.ok(cycle.rate.every((r, i) => r === learningRate({ ...base, lrSchedule: 'onecycle', epochs: 15, lr: 0.05 }, Math.round(cycle.epoch[i] * 469), 469)));
});
