import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { denoBinary } from '../../lib/cli/kernelSpecs';
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
  writeFileSync(join(dir, LOCK_FILE), `${deadPid()}\n`);
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

/** A process that waits for `go` to appear, then tries to lock `dir` and prints "won" or the error; a winner holds the
 *  lock until its stdin closes. */
const CONTENDER = `
const { existsSync } = require('node:fs');
const { lockRunDir } = require(${JSON.stringify(require.resolve('../../lib/run/lock'))});
const [dir, go] = process.argv.slice(1);
process.stdout.write('ready\\n');
const nap = new Int32Array(new SharedArrayBuffer(4));
while (!existsSync(go)) Atomics.wait(nap, 0, 0, 1);
let result = 'won';
try { lockRunDir(dir, '--out'); } catch (e) { result = e.message; }
process.stdout.write(result + '\\n');
process.stdin.on('data', () => {}).on('end', () => process.exit(0));
`;

interface Contender {
  pid: number;
  lines(count: number): Promise<string[]>;
  done: Promise<void>;
  end(): void;
}

function contender(dir: string, go: string): Contender {
  const child = spawn(process.execPath, ['-e', CONTENDER, dir, go], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiting: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (d) => {
    out += d;
    waiting.splice(0).forEach((wake) => wake());
  });
  const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const lines = (count: number): Promise<string[]> => new Promise((resolve, reject) => {
    const check = (): void => {
      const got = out.split('\n').slice(0, -1);
      if (got.length >= count) resolve(got);
      else waiting.push(check);
    };
    void done.then(() => reject(new Error(`contender ${child.pid} ended after: ${out}`)));
    check();
  });
  return { pid: child.pid!, lines, done, end: () => child.stdin.end() };
}

const deadPid = (): string => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;

test('of 20 processes taking over the same stale lock at once, exactly one wins, round after round', async () => {
  for (let round = 0; round < 5; round++) {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), `${deadPid()}\n`);
    const go = join(dir, '..', 'go');
    const all = Array.from({ length: 20 }, () => contender(dir, go));
    try {
      await Promise.all(all.map((c) => c.lines(1)));
      writeFileSync(go, '');
      const results = await Promise.all(all.map(async (c) => (await c.lines(2))[1]));
      const winners = all.filter((_, i) => results[i] === 'won');
      assert.equal(winners.length, 1, `round ${round}: ${results.join(' | ')}`);
      assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(winners[0].pid));
      for (const r of results.filter((r) => r !== 'won')) {
        assert.match(r, /: (in use by another run \(pid \d+\)|another run \(pid \d+\) is taking over its stale lock just now)/);
      }
    } finally {
      all.forEach((c) => c.end());
      await Promise.all(all.map((c) => c.done));
    }
    assert.deepEqual(readdirSync(dir), [], `round ${round}: the winner's lock went with it, and no claim or temporary stayed`);
  }
});

test('a lock naming a live process that is no Node.js program (its pid reused) is taken over', () => {
  const dir = fresh();
  mkdirSync(dir);
  const sleeper = spawn('sleep', ['60']);
  try {
    writeFileSync(join(dir, LOCK_FILE), `${sleeper.pid}\n`);
    lockRunDir(dir, '--out').release();
  } finally {
    sleeper.kill();
  }
});

test('a lock held by Deno\'s kernel (a live deno process) is refused', () => {
  const dir = fresh();
  mkdirSync(dir);
  // Named as a Deno installed on its own is (no node_modules in its path): only its name says it may be a run.
  const kernel = spawn(denoBinary(), ['eval', 'setTimeout(() => {}, 60000)'], { argv0: 'deno' });
  try {
    writeFileSync(join(dir, LOCK_FILE), `${kernel.pid}\n`);
    assert.throws(() => lockRunDir(dir, '--out'), new RegExp(`in use by another run \\(pid ${kernel.pid}\\)`));
  } finally {
    kernel.kill();
  }
});

test('a live run is refused with the way out should its pid belong to something else', () => {
  const dir = fresh();
  const lock = lockRunDir(dir, '--out');
  assert.throws(() => lockRunDir(dir, '--out'), new RegExp(`\\(if pid ${process.pid} is no mnist20k run, delete ${join(dir, LOCK_FILE)}\\)$`));
  lock.release();
});

test('a lock that is a folder is named in one line', () => {
  const dir = fresh();
  mkdirSync(join(dir, LOCK_FILE), { recursive: true });
  assert.throws(() => lockRunDir(dir, '--out'), new RegExp(`^Error: --out ${dir}: ${join(dir, LOCK_FILE)} is not a lock file but a folder; remove it$`));
});

test('temporaries left by dead processes go when the folder is locked; a live process\'s stay', () => {
  const dir = fresh();
  mkdirSync(dir);
  const [dead, live] = [`checkpoint.json.${deadPid()}.tmp`, `weights.bin.${process.pid}.tmp`];
  for (const name of [dead, live, 'history.json']) writeFileSync(join(dir, name), '');
  const lock = lockRunDir(dir, '--out');
  assert.deepEqual(readdirSync(dir).sort(), ['history.json', LOCK_FILE, live].sort());
  lock.release();
});

test('a folder that cannot be made is named in one line at once: under /proc, under a file, in a read-only folder', () => {
  assert.throws(() => lockRunDir('/proc/x/run', '--out'), /^Error: --out \/proc\/x\/run: cannot create \/proc\/x \(no such file or directory\); choose a folder that can hold files$/);
  const file = join(mkdtempSync(join(tmpdir(), 'mnist20k-lock-')), 'file');
  writeFileSync(file, '');
  assert.throws(() => lockRunDir(join(file, 'a', 'b'), '--out'), new RegExp(`^Error: --out ${file}/a/b: ${file} is not a folder$`));
  // sysfs takes no files, not even from root
  assert.throws(() => lockRunDir('/sys/mnist20k-run', '--out'), /^Error: --out \/sys\/mnist20k-run: cannot create \/sys\/mnist20k-run \((operation not permitted|permission denied)\); choose a folder you may write to$/);
  assert.throws(() => lockRunDir('/sys', '--out'), /^Error: --out \/sys: cannot write there \((operation not permitted|permission denied)\); choose a folder you may write to$/);
});
