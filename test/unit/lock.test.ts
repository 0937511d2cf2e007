import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, lockRunDir } from '../../lib/run/lock';

const fresh = (): string => join(mkdtempSync(join(tmpdir(), 'mnist20k-lock-')), 'run');

test('a held folder is refused with the pid of its holder; released, it can be taken again', () => {
  const dir = fresh();
  const lock = lockRunDir(dir, '--out');
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
  assert.throws(() => lockRunDir(dir, '--out'), new RegExp(`^Error: --out ${dir}: in use by another run \\(pid ${process.pid}\\)`));
  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  lockRunDir(dir, '--out').release();
});

test('a lock left by a dead process is taken over', () => {
  const dir = fresh();
  mkdirSync(dir);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(dir, LOCK_FILE), `${dead.stdout}\n`);
  const lock = lockRunDir(dir, '--out');
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
  lock.release();
});

test('a folder created for the lock goes again if nothing was written; one with content stays', () => {
  const empty = fresh();
  lockRunDir(empty, '--out').release();
  assert.equal(existsSync(empty), false, 'no partial output');
  const used = fresh();
  const lock = lockRunDir(used, '--out');
  writeFileSync(join(used, 'checkpoint.json'), '{}');
  lock.release();
  assert.equal(existsSync(join(used, 'checkpoint.json')), true);
});

test('a file where the folder should be is refused', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'mnist20k-lock-')), 'file');
  writeFileSync(file, '');
  assert.throws(() => lockRunDir(file, 'MNIST_OUT'), /^Error: MNIST_OUT .*file: not a folder$/);
});
