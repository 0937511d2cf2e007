import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../lib/util/paths';

export { ROOT };
const BIN = join(ROOT, 'bin', 'mnist20k.js');
const ENV = { ...process.env, MNIST_BACKEND: '' };

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Longer than any command of the tests takes: one still running then has hung (after an error, say). */
const HUNG_AFTER_MS = 5 * 60_000;

/** Runs the CLI to its end; one that hangs is killed, and its result says so. */
export function mnist20k(...args: string[]): Result {
  return mnist20kWith({}, ...args);
}

/** Runs the CLI to its end with `env` added to its environment; one that hangs is killed, and its result says so. */
export function mnist20kWith(env: NodeJS.ProcessEnv, ...args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...ENV, ...env }, timeout: HUNG_AFTER_MS });
  return { code: r.status, stdout: r.stdout, stderr: r.signal ? `${r.stderr}\n(hung: killed with ${r.signal})` : r.stderr };
}

/** Starts the CLI in the background: its pid, a promise of its result, and a wait for a line of its output. */
export function startMnist20k(...args: string[]): { pid: number; done: Promise<Result>; waitFor(pattern: RegExp): Promise<void> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve(): void }[] = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of waiters) if (w.pattern.test(stdout)) w.resolve();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((res) => child.on('close', (code) => res({ code, stdout, stderr })));
  const waitFor = (pattern: RegExp) => new Promise<void>((res, rej) => {
    if (pattern.test(stdout)) return res();
    waiters.push({ pattern, resolve: res });
    void done.then((r) => rej(new Error(`ended before ${pattern}: ${r.stderr}`)));
  });
  return { pid: child.pid!, done, waitFor };
}

export function assertOneLineError(r: Result, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}
