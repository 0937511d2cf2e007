import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOneLineError, mnist20k, ROOT } from './mnist20k';

// Two shards on two kernel threads: an error once the threads run must still end the process.
const QUICK = ['--train-samples', '1200', '--test-samples', '200', '--batch-size', '50', '--backend', 'wasm', '--shards', '2', '--threads', '2'];
const folder = (): string => join(mkdtempSync(join(tmpdir(), 'mnist20k-fail-')), 'run');
const files = (dir: string): Record<string, string> => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'latin1')]));

/** A finished one-epoch run: its folder and its checkpoint as parsed JSON. */
function finishedRun(): { out: string; checkpoint: string } {
  const out = folder();
  const r = mnist20k('train', '--epochs', '1', ...QUICK, '--out', out);
  assert.equal(r.code, 0, r.stderr);
  return { out, checkpoint: readFileSync(join(out, 'checkpoint.json'), 'utf8') };
}

/** Damage that parses: what it does to the checkpoint and what the error must say after the file's name. */
const DAMAGE: [string, (cp: Record<string, any>) => void, RegExp][] = [
  ['no momentum', (cp) => delete cp.settings.momentum, /corrupt checkpoint: settings\.momentum: missing/],
  ['no learning rate', (cp) => delete cp.settings.lr, /corrupt checkpoint: settings\.lr: missing/],
  ['no shards', (cp) => (cp.settings.shards = 0), /corrupt checkpoint: settings\.shards: expected a positive integer, got '0'/],
  ['empty weights', (cp) => (cp.weights = []), /corrupt checkpoint: weights: empty/],
  ['int32 weights', (cp) => (cp.weights[2].dtype = 'int32'), /corrupt checkpoint: weights\[2\] \(.*\): dtype int32, expected float32/],
  ['a history of strings', (cp) => (cp.history = ['x']), /corrupt checkpoint: history\[0\]: "x"/],
  ['a transposed weight', (cp) => cp.weights[0].shape.reverse(), /corrupt checkpoint: weights\[0\] \(.*\): shape 8x1x3x3, the network of its settings needs 3x3x1x8/],
  ['one base64 character changed', (cp) => (cp.weights[1].data = (cp.weights[1].data[0] === 'A' ? 'B' : 'A') + cp.weights[1].data.slice(1)),
    /corrupt checkpoint: weights\[1\] \(.*\): its data do not match their SHA-256 \(changed after the checkpoint was written\)/],
];

test('a checkpoint that cannot be continued ends the run at once in one line naming file and field, and changes nothing', () => {
  const { out, checkpoint } = finishedRun();
  for (const [what, damage, message] of DAMAGE) {
    const cp = JSON.parse(checkpoint);
    damage(cp);
    writeFileSync(join(out, 'checkpoint.json'), JSON.stringify(cp));
    const before = files(out);
    const r = mnist20k('train', '--resume', '--epochs', '2', '--out', out);
    assertOneLineError(r, new RegExp(`^mnist20k train: ${join(out, 'checkpoint.json')}: ${message.source}`));
    assert.doesNotMatch(r.stderr, /last good checkpoint|resume with/, what);
    assert.deepEqual(files(out), before, `${what}: nothing written`);
    // A fresh run does not overwrite what it cannot read either: it says how to start afresh there.
    const fresh = mnist20k('train', '--epochs', '2', ...QUICK, '--out', out);
    assertOneLineError(fresh, new RegExp(`^mnist20k train: ${join(out, 'checkpoint.json')}: ${message.source}.*; to start afresh in ${out}, move it away, or choose another folder$`));
    assert.deepEqual(files(out), before, `${what}: nothing written by a fresh run`);
  }
  // A setting that is sound in itself but impossible here is named as the checkpoint's field, not as a flag.
  const cp = JSON.parse(checkpoint);
  cp.settings.trainSamples = 1e12;
  writeFileSync(join(out, 'checkpoint.json'), JSON.stringify(cp));
  const before = files(out);
  assertOneLineError(mnist20k('train', '--resume', '--epochs', '2', '--out', out),
    new RegExp(`^mnist20k train: ${join(out, 'checkpoint.json')}: settings\\.trainSamples: 1000000000000 requested, but train-images-idx3-ubyte holds 60000 images$`));
  assert.deepEqual(files(out), before, 'nothing written');
});

test('a model whose manifest leads outside its folder, with trailing bytes or NaN weights, is refused', () => {
  const { out } = finishedRun();
  const model = join(mkdtempSync(join(tmpdir(), 'mnist20k-fail-')), 'model');
  mkdirSync(model);
  const [json, weights] = [readFileSync(join(out, 'model.json'), 'utf8'), readFileSync(join(out, 'weights.bin'))];
  const evaluate = (): ReturnType<typeof mnist20k> => mnist20k('evaluate', '--model', model, '--test-samples', '100');
  const manifest = JSON.parse(json);
  manifest.weightsManifest[0].paths = ['../../../etc/passwd'];
  writeFileSync(join(model, 'model.json'), JSON.stringify(manifest));
  assertOneLineError(evaluate(), /model\.json: weight file '\.\.\/\.\.\/\.\.\/etc\/passwd' lies outside the model's folder$/m);
  writeFileSync(join(model, 'model.json'), json);
  writeFileSync(join(model, 'weights.bin'), Buffer.concat([weights, Buffer.alloc(4)]));
  assertOneLineError(evaluate(), /model\.json: its weight files hold \d+ bytes, its manifest describes \d+$/m);
  // Checksums are checked before values: to reach the NaN check, a model saved without them (as tfjs-node saves).
  delete manifest.userDefinedMetadata;
  manifest.weightsManifest[0].paths = ['./weights.bin'];
  writeFileSync(join(model, 'model.json'), JSON.stringify(manifest));
  const nan = Buffer.from(weights);
  nan.writeFloatLE(NaN, 0);
  writeFileSync(join(model, 'weights.bin'), nan);
  assertOneLineError(evaluate(), /: weight .* holds NaN at index 0; not a usable model$/m);
});

test('an --out that cannot be made or written, or a batch too big for memory, fails in one line and leaves nothing', () => {
  assertOneLineError(mnist20k('train', '--out', '/proc/mnist20k/run'), /^mnist20k train: --out \/proc\/mnist20k\/run: cannot create \/proc\/mnist20k \(.*\); choose a folder/);
  assertOneLineError(mnist20k('train', '--out', '/sys'), /^mnist20k train: --out \/sys: cannot write there \(.*\); choose a folder you may write to$/m);
  const out = folder();
  assertOneLineError(mnist20k('train', '--batch-size', '100000', '--backend', 'wasm', '--out', out),
    /^mnist20k train: --batch-size 100000: a batch of \d+ images needs about [\d.]+ GiB on wasm, .*; the largest batch that fits is \d+$/m);
  assert.equal(existsSync(out), false);
  // A disk that takes no more bytes: files can be created, not written (a file-size limit of 0, its signal ignored,
  // makes every write fail as a full disk does). Neither the lock's empty temporary nor the folder may stay.
  const full = spawnSync('bash', ['-c', 'set -o pipefail; (trap "" XFSZ; ulimit -f 0; exec "$0" "$@" 2>&1) | cat', process.execPath, join(ROOT, 'bin', 'mnist20k.js'),
    'train', ...QUICK, '--out', out], { encoding: 'utf8' });
  assertOneLineError({ code: full.status, stdout: '', stderr: full.stdout }, /^mnist20k train: --out .*: cannot write there \(file too large\)/);
  assert.equal(existsSync(out), false, 'no folder, no empty lock file');
});

test('a lock that is a folder is one line; one naming a live process that is no run is taken over, with the litter of dead runs', () => {
  const out = folder();
  mkdirSync(join(out, 'lock'), { recursive: true });
  assertOneLineError(mnist20k('train', ...QUICK, '--out', out), /--out .*: .*lock is not a lock file but a folder; remove it$/m);

  const other = folder();
  mkdirSync(other);
  const sleeper = spawn('sleep', ['600']);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  try {
    writeFileSync(join(other, 'lock'), `${sleeper.pid}\n`);
    writeFileSync(join(other, `checkpoint.json.${dead}.tmp`), '{"half": ');
    const r = mnist20k('train', '--epochs', '1', ...QUICK, '--out', other);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    sleeper.kill();
  }
  assert.deepEqual(readdirSync(other).sort(), ['checkpoint.json', 'history.json', 'model.json', 'weights.bin']);
});
