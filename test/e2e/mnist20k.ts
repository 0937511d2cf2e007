import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  assert.match(r.stderr.trim(), pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

/** Longest a refusal may take: bad input is refused before any work. */
const REFUSED_WITHIN_MS = 30_000;
/** Most memory a refusal may take: limits are checked before anything large is read or allocated. */
const REFUSED_IN_KIB = 1024 * 1024;

/** Runs the CLI with `env` added, and checks that it refused: a non-zero exit within 30 s (killed otherwise), in one
 *  line matching `pattern` (no stack), its peak memory under 1 GiB. Returns the result. */
export function assertRefused(env: NodeJS.ProcessEnv, args: string[], pattern: RegExp): Result {
  const scratch = mkdtempSync(join(tmpdir(), 'mnist20k-rss-'));
  const rssFile = join(scratch, 'rss');
  try {
    const r = spawnSync(process.execPath, ['--require', join(__dirname, 'peakRss.js'), BIN, ...args], {
      cwd: ROOT, encoding: 'utf8', env: { ...ENV, ...env, MNIST_TEST_RSS_FILE: rssFile }, timeout: REFUSED_WITHIN_MS,
    });
    const stderr = r.signal ? `${r.stderr}\n(still running after 30 s: killed with ${r.signal})` : r.stderr.trim();
    const result = { code: r.status, stdout: r.stdout, stderr };
    const what = `mnist20k ${args.join(' ')}`;
    assert.equal(r.signal, null, `${what}: ${result.stderr}`);
    assertOneLineError(result, pattern);
    const kib = Number(readFileSync(rssFile, 'utf8'));
    assert.ok(kib < REFUSED_IN_KIB, `${what}: peak memory ${Math.round(kib / 1024)} MiB, expected under 1 GiB`);
    return result;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
