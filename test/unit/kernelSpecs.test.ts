import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kernelFromEnv, registerKernel } from '../../lib/cli/kernelSpecs';

test('MNIST_KERNEL picks the kernel, tslab when unset; anything else is one line naming it', () => {
  assert.equal(kernelFromEnv({}), 'tslab');
  assert.equal(kernelFromEnv({ MNIST_KERNEL: '' }), 'tslab');
  assert.equal(kernelFromEnv({ MNIST_KERNEL: 'deno' }), 'deno');
  assert.throws(() => kernelFromEnv({ MNIST_KERNEL: 'Deno' }), /^Error: MNIST_KERNEL: expected tslab or deno, got 'Deno'$/);
});

test('each kernel\'s spec is written in a folder of its own, Deno\'s with the flags dist/\'s CommonJS needs', () => {
  const specOf = (home: string, name: string) =>
    JSON.parse(readFileSync(join(home, 'kernels', name, 'kernel.json'), 'utf8')) as { argv: string[]; language: string };
  const tslabHome = registerKernel('tslab');
  const denoHome = registerKernel('deno');
  assert.notEqual(tslabHome, denoHome);
  const tslab = specOf(tslabHome, 'tslab');
  assert.deepEqual(tslab.argv.slice(-3), ['kernel', '--config-path', '{connection_file}']);
  const deno = specOf(denoHome, 'deno');
  assert.deepEqual(deno.argv.slice(1), ['jupyter', '--kernel', '--conn', '{connection_file}', '--unstable-detect-cjs', '--sloppy-imports']);
  accessSync(deno.argv[0], constants.X_OK);
  assert.deepEqual([tslab.language, deno.language], ['typescript', 'typescript']);
});

test('with the optional dependency deno missing, MNIST_KERNEL=deno npm start says so in one line', () => {
  // The package made unresolvable, as where npm could not install it.
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (request.startsWith('deno/')) throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
      return resolve.call(this, request, ...rest);
    };
    require(${JSON.stringify(require.resolve('../../lib/cli/jupyter'))}).main().then((code) => (process.exitCode = code));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, MNIST_KERNEL: 'deno' } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^npm start: MNIST_KERNEL=deno: Deno is not installed \(deno is an optional dependency, which npm did not install here: Cannot find module 'deno\/install_api.cjs'\)\n$/);
});
