import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDefaultSpec, readSpecFile } from '../../lib/model/spec';
import { ROOT } from '../../lib/util/paths';
import { assertOneLineError, mnist20k } from './mnist20k';

/** A learner's smaller network, as a --model-spec file: 3,768 parameters, no linear head. */
const SMALL = {
  dropout: 0.02,
  blocks: [
    { conv: 8, kernel: 3 }, { maxPool: 2 }, { conv: 16, kernel: 3 }, { conv: 16, kernel: 3 },
    { conv: 10, kernel: 1, relu: false, batchNorm: false, dropout: false }, { avgPool: 9 },
  ],
};

test('a smaller network from --model-spec: its summary and receptive fields, a run that records it, evaluate, resume', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-spec-'));
  const spec = join(dir, 'small.json');
  writeFileSync(spec, JSON.stringify(SMALL));
  const s = mnist20k('summary', '--model-spec', spec);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^\s+Conv2d-14\s+\[-1, 10, 9, 9\]\s+160$/m);
  assert.match(s.stdout, /^Total params: 3,768$/m);
  // Receptive fields: 3, pool → 4 (jump 2), 8, 12, 1×1 → 12, avgpool 9 → 12 + 8·2 = 28 (jump 18).
  assert.match(s.stdout, /^\s+Conv2d-10\s+\[16, 9, 9\]\s+12\s+2\s+2,304$/m);
  assert.match(s.stdout, /^\s+AvgPool2d-15\s+\[10, 1, 1\]\s+28\s+18\s+0$/m);

  const out = join(dir, 'run');
  const r = mnist20k('train', '--model-spec', spec, '--augment', '--epochs', '1', '--train-samples', '600', '--test-samples', '200',
    '--batch-size', '50', '--backend', 'wasm', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /seed 1, rotations ±7°, own network \(3,768 parameters\), 1 shard \(whole-batch BatchNorm\) on \d+ threads?/);
  const { settings, history } = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
  assert.deepEqual([settings.augment, settings.modelSpec], [true, SMALL]);
  const e = mnist20k('evaluate', '--model', out, '--test-samples', '200', '--json');
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout.trim().split('\n').at(-1)!).accuracy, history[0].testAcc);

  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ ...SMALL, dropout: 0.03 }));
  assertOneLineError(mnist20k('train', '--resume', '--epochs', '2', '--model-spec', other, '--out', out),
    /--model-spec: the run in .* was made with a network spec of 3,768 parameters, not this one; a resumed run keeps it$/m);
});

test('a spec that does not fit stops train before anything is written, in one line naming the block', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-spec-'));
  const spec = join(dir, 'deep.json');
  writeFileSync(spec, JSON.stringify({ dropout: 0, blocks: [{ avgPool: 7 }, { conv: 8, kernel: 3 }, { conv: 10, kernel: 3 }] }));
  assertOneLineError(mnist20k('train', '--model-spec', spec, '--out', join(dir, 'run')),
    /^mnist20k train: --model-spec .*deep\.json: spec block 3 \(conv 3×3, 10\): input is 2×2, smaller than the 3×3 kernel$/m);
  assert.equal(existsSync(join(dir, 'run')), false);
});

test('compare prints the committed runs side by side and writes their chart as HTML and PNG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-compare-'));
  const html = join(dir, 'runs.html');
  const r = mnist20k('compare', 'models/s6_net1', 'models/s6_net1-seed2', 'models/plain-recipe', '--out', html);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^models\/s6_net1-seed2 +99\.47 \(6\) +6 +99\.40 99\.42 99\.39 99\.44 99\.39 \(99\.39\) +21\.1 +wasm +lr-step=8 seed=2$/m);
  assert.equal(r.stdout.trim().split('\n').length, 6, 'header, four runs, the chart');
  const page = readFileSync(html, 'utf8');
  assert.ok(page.includes('* plotly.js (cartesian - minified) v') && page.includes('models/plain-recipe/seed2'), 'plotly.js and the runs in one page');
  const png = join(dir, 'runs.png');
  assert.equal(mnist20k('compare', 'models/s6_net1', '--out', png).code, 0);
  assert.deepEqual([...readFileSync(png).subarray(1, 4)], [...Buffer.from('PNG')], 'a PNG drawn in Chromium');
  assertOneLineError(mnist20k('compare'), /expected at least one run folder or history file/);
  assertOneLineError(mnist20k('compare', 'models/s6_net1', '--out', join(dir, 'chart.svg')), /--out .*chart\.svg: expected a \.png or \.html file/);
  assertOneLineError(mnist20k('compare', 'lib'), /lib: no history\.json here/);
});

test('the zoo in specs/: each says what it tries, summary prints a parameter count under its name\'s bound, original.json is the original', () => {
  const files = readdirSync(join(ROOT, 'specs')).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, ['original.json', 'under-10k.json', 'under-8k.json']);
  for (const file of files) {
    const spec = JSON.parse(readFileSync(join(ROOT, 'specs', file), 'utf8'));
    assert.equal(typeof spec.about, 'string', `${file}: an about line`);
    const s = mnist20k('summary', '--model-spec', join('specs', file));
    assert.equal(s.code, 0, s.stderr);
    const total = Number(/^Total params: ([\d,]+)$/m.exec(s.stdout)![1].replace(/,/g, ''));
    const bound = /^under-(\d+)k\.json$/.exec(file);
    if (bound) assert.ok(total < Number(bound[1]) * 1000, `${file}: ${total} parameters`);
    else assert.equal(total, 16_034);
    assert.match(s.stdout, /RF\s+Jump/, `${file}: its receptive-field table`);
  }
  assert.ok(isDefaultSpec(readSpecFile(join(ROOT, 'specs', 'original.json'))), 'the original, about line aside');
});
