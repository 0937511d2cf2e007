import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRefused, mnist20k, ROOT } from './mnist20k';

const COMMITTED = join(ROOT, 'models', 's6_net1');
const OTHER_RUN = join(ROOT, 'models', 's6_net1-seed2');

/** A copy of the committed run models/s6_net1 (model.json, weights.bin, history.json) in a folder of its own. */
function modelCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'mnist20k-hostile-')), 'model');
  mkdirSync(dir);
  for (const f of ['model.json', 'weights.bin', 'history.json']) copyFileSync(join(COMMITTED, f), join(dir, f));
  return dir;
}

type ModelJson = { modelTopology: { config: { layers: { config: Record<string, unknown> }[] } }; weightsManifest: Record<string, unknown>[] };
const modelJson = (): ModelJson => JSON.parse(readFileSync(join(COMMITTED, 'model.json'), 'utf8'));

/** `mnist20k evaluate --model DIR` must be refused in one line matching `message` (after the command's name). */
function assertEvaluateRefused(dir: string, message: RegExp): void {
  assertRefused({}, ['evaluate', '--model', dir, '--test-samples', '100'], new RegExp(`^mnist20k evaluate: ${message.source}`));
}

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

test('the copy the other cases damage is itself a model evaluate scores', () => {
  const r = mnist20k('evaluate', '--model', modelCopy(), '--test-samples', '100', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout.trim().split('\n').at(-1)!).accuracy > 95);
});

test('weight files that are no file of the model\'s folder are refused before a byte is read', () => {
  const zero = modelCopy();
  rmSync(join(zero, 'weights.bin'));
  symlinkSync('/dev/zero', join(zero, 'weights.bin'));
  assertEvaluateRefused(zero, new RegExp(`${escaped(zero)}/weights\\.bin: a link to /dev/zero, outside the model's folder`));

  // A real copy of the right weights, elsewhere: refused all the same (it used to be read and scored).
  const elsewhere = mkdtempSync(join(tmpdir(), 'mnist20k-elsewhere-'));
  copyFileSync(join(COMMITTED, 'weights.bin'), join(elsewhere, 'weights.bin'));
  const outside = modelCopy();
  rmSync(join(outside, 'weights.bin'));
  symlinkSync(join(elsewhere, 'weights.bin'), join(outside, 'weights.bin'));
  assertEvaluateRefused(outside, new RegExp(`${escaped(outside)}/weights\\.bin: a link to ${escaped(elsewhere)}/weights\\.bin, outside the model's folder`));

  const folder = modelCopy();
  rmSync(join(folder, 'weights.bin'));
  mkdirSync(join(folder, 'weights.bin'));
  assertEvaluateRefused(folder, new RegExp(`${escaped(folder)}/weights\\.bin: a folder, not a weights file$`));

  const fifo = modelCopy();
  rmSync(join(fifo, 'weights.bin'));
  execFileSync('mkfifo', [join(fifo, 'weights.bin')]);
  assertEvaluateRefused(fifo, new RegExp(`${escaped(fifo)}/weights\\.bin: a FIFO \\(named pipe\\), not a weights file$`));
});

/** Edits of model.json and what evaluate must say of each, after DIR/model.json. */
const DAMAGE: [string, (json: ModelJson) => void, RegExp][] = [
  ['paths not a list', (json) => (json.weightsManifest[0].paths = './weights.bin'), /weightsManifest\[0\]\.paths: expected a list of file names$/],
  ['a weight without a shape', (json) => delete (json.weightsManifest[0].weights as Record<string, unknown>[])[3].shape,
    /weightsManifest\[0\]\.weights\[3\]\.shape: expected a list of non-negative integers$/],
  // tfjs would allocate 3.6 GB for this layer's kernel before looking at the weights.
  ['10^8 filters', (json) => (json.modelTopology.config.layers[0].config.filters = 1e8),
    /modelTopology: the network it describes does not fit: spec block 1 \(conv 3×3, 100000000, pad 1\): .*parameters/],
  ['a manifest of another network', (json) => ((json.weightsManifest[0].weights as { shape: number[] }[])[0].shape = [3, 3, 1, 9]),
    /weightsManifest\[0\]\.weights\[0\] \(conv2d_Conv2d1\/kernel\): shape 3x3x1x9, the network of modelTopology has 3x3x1x8$/],
];

test('a model.json out of shape, or describing a network too large, is refused in one line naming the field', async (t) => {
  for (const [what, damage, message] of DAMAGE) {
    await t.test(what, () => {
      const dir = modelCopy();
      const json = modelJson();
      damage(json);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      assertEvaluateRefused(dir, new RegExp(`${escaped(dir)}/model\\.json: ${message.source}`));
    });
  }
  await t.test('a first line of text', () => {
    const dir = modelCopy();
    writeFileSync(join(dir, 'model.json'), `this is no JSON\n${readFileSync(join(COMMITTED, 'model.json'), 'utf8')}`);
    assertEvaluateRefused(dir, new RegExp(`${escaped(dir)}/model\\.json: not valid JSON \\(`));
  });
});

/** Where a weight's bytes start in weights.bin: after those of the weights the manifest lists before it. */
function offsetOf(name: string): number {
  const weights = modelJson().weightsManifest[0].weights as { name: string; shape: number[] }[];
  const before = weights.slice(0, weights.findIndex((w) => w.name === name));
  return before.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
}

test('weights changed after they were written, or another run\'s, are refused naming the weight', () => {
  const changed = modelCopy();
  const bytes = readFileSync(join(changed, 'weights.bin'));
  bytes[offsetOf('batch_norm2d_BatchNorm2d5/moving_mean') + 1] ^= 1; // a finite value still
  writeFileSync(join(changed, 'weights.bin'), bytes);
  const matches = (dir: string) => `${escaped(dir)}/weights\\.bin: weight batch_norm2d_BatchNorm2d5/moving_mean does not match the SHA-256 ${escaped(dir)}/model\\.json records for it`;
  assertEvaluateRefused(changed, new RegExp(matches(changed)));

  // A run of another seed whose save stopped after weights.bin, in the folder of a finished run (as saveRun used to).
  const mixed = modelCopy();
  copyFileSync(join(OTHER_RUN, 'weights.bin'), join(mixed, 'weights.bin'));
  assertEvaluateRefused(mixed, new RegExp(`${escaped(mixed)}/weights\\.bin: weight conv2d_Conv2d1/kernel does not match the SHA-256`));
});

test('a history.json of another run beside a model is refused naming both files', () => {
  const dir = modelCopy();
  copyFileSync(join(OTHER_RUN, 'history.json'), join(dir, 'history.json'));
  assertEvaluateRefused(dir, new RegExp(`${escaped(dir)}/history\\.json and ${escaped(dir)}/model\\.json come from different runs: ` +
    'the record names weights of SHA-256 cede35b01f7a…, the model d770203dae88…$'));
});
