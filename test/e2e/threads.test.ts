import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnist20k } from './mnist20k';

// Threads are speed only: the same seed and recipe give the same weights, byte for byte, and the same history on any
// number of threads — more than this machine's cores included — and a run resumed on another count goes on as if it
// had never stopped.

const QUICK = ['--train-samples', '300', '--test-samples', '100', '--batch-size', '50', '--backend', 'wasm'];
const root = mkdtempSync(join(tmpdir(), 'mnist20k-threads-'));

/** A finished run's weights.bin and history, the history without what differs by machine and thread count. */
function train(name: string, ...flags: string[]): { weights: Buffer; numbers: object[]; threads: number[] } {
  const out = join(root, name);
  const r = mnist20k('train', ...QUICK, ...flags, '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const { history } = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
  return {
    weights: readFileSync(join(out, 'weights.bin')),
    numbers: history.map(({ seconds, threads, ...numbers }: { seconds: number; threads: number }) => numbers),
    threads: history.map((s: { threads: number }) => s.threads),
  };
}

test('--threads 1, 2, 3 and 4 give the same weights.bin byte for byte and the same history', () => {
  const one = train('t1', '--epochs', '2', '--threads', '1');
  assert.deepEqual(one.threads, [1, 1]);
  for (const threads of [2, 3, 4]) {
    const run = train(`t${threads}`, '--epochs', '2', '--threads', String(threads));
    assert.ok(run.weights.equals(one.weights), `weights.bin on ${threads} threads`);
    assert.deepEqual(run.numbers, one.numbers, `history on ${threads} threads`);
    assert.deepEqual(run.threads, [threads, threads]);
  }
});

test('two shards with rotations: the same on 1 and 3 threads', () => {
  const flags = ['--epochs', '1', '--shards', '2', '--augment', '--seed', '3'];
  const [one, three] = [train('s1', ...flags, '--threads', '1'), train('s3', ...flags, '--threads', '3')];
  assert.ok(three.weights.equals(one.weights));
  assert.deepEqual(three.numbers, one.numbers);
});

test('a run resumed on another thread count goes on with the history of one never stopped', () => {
  const whole = train('whole', '--epochs', '2', '--threads', '2');
  train('resumed', '--epochs', '1', '--threads', '3');
  const resumed = train('resumed', '--epochs', '2', '--threads', '1', '--resume');
  assert.ok(resumed.weights.equals(whole.weights));
  assert.deepEqual(resumed.numbers, whole.numbers);
  assert.deepEqual(resumed.threads, [3, 1], 'each epoch records the threads it ran on');
});
