import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Interrupted } from '../../lib/run/interrupt';

const LIB = resolve(__dirname, '..', '..', 'lib', 'run');

/** Runs a script that holds a lock and a StopOnSignal, never reaches check(), and signals itself `signals`. */
function signalled(signals: NodeJS.Signals[]): { code: number | null; stderr: string; dir: string } {
  const dir = join(mkdtempSync(join(tmpdir(), 'mnist20k-sig-')), 'run');
  const script = `
    const { StopOnSignal } = require(${JSON.stringify(join(LIB, 'interrupt'))});
    const { lockRunDir } = require(${JSON.stringify(join(LIB, 'lock'))});
    lockRunDir(${JSON.stringify(dir)}, '--out');
    new StopOnSignal();
    const signals = ${JSON.stringify(signals)};
    signals.forEach((s, i) => setTimeout(() => process.kill(process.pid, s), 50 * (i + 1)));
    setTimeout(() => process.exit(0), 50 * (signals.length + 1));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, dir };
}

test('a first signal only asks to stop; a second ends the process at once and releases the lock', () => {
  const once = signalled(['SIGINT']);
  assert.equal(once.code, 0, 'one signal: the process went on to its own end');
  assert.match(once.stderr, /SIGINT: stopping after this batch \(press Ctrl-C again to quit at once\)/);
  const twice = signalled(['SIGTERM', 'SIGINT']);
  assert.equal(twice.code, 130);
  assert.equal(existsSync(twice.dir), false, 'the lock and its folder are gone');
});

test('an interruption exits as a shell reports the signal', () => {
  assert.equal(new Interrupted('SIGINT', 'at epoch 1, batch 2').exitCode, 130);
  assert.equal(new Interrupted('SIGTERM', 'after epoch 1').exitCode, 143);
  assert.equal(new Interrupted('SIGTERM', 'after epoch 1').message, 'interrupted by SIGTERM after epoch 1');
});

test('in a kernel, the first SIGINT is kept from the kernel\'s own listener and asks to stop; the second is handed to it', () => {
  const script = `
    const { StopOnSignal } = require(${JSON.stringify(join(LIB, 'interrupt'))});
    const seen = [];
    process.on('SIGINT', () => seen.push('kernel'));
    const stop = new StopOnSignal('kernel', (line) => seen.push(line));
    const steps = [
      () => process.kill(process.pid, 'SIGINT'),
      () => { try { stop.check('at epoch 1, batch 3 of 5'); } catch (e) { seen.push(e.message); } process.kill(process.pid, 'SIGINT'); },
      () => process.kill(process.pid, 'SIGINT'),
      () => { console.log(JSON.stringify(seen)); process.exit(0); },
    ];
    steps.forEach((step, i) => setTimeout(step, 50 * (i + 1)));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    'Interrupt: stopping after this batch (interrupt again to end the cell at once)',
    'interrupted by SIGINT at epoch 1, batch 3 of 5',
    'kernel', // the second Interrupt: the kernel ends the cell at once
    'kernel', // and it keeps its listener from then on
  ]);
});

test('in a kernel with no SIGINT listener of its own (Deno\'s), every SIGINT while training asks to stop and none ends the process', () => {
  const script = `
    const { StopOnSignal } = require(${JSON.stringify(join(LIB, 'interrupt'))});
    const seen = [];
    const stop = new StopOnSignal('kernel', (line) => seen.push(line));
    const steps = [
      () => process.kill(process.pid, 'SIGINT'),
      () => process.kill(process.pid, 'SIGINT'),
      () => process.kill(process.pid, 'SIGINT'),
      () => { try { stop.check('after epoch 1'); } catch (e) { seen.push(e.message); } stop.dispose(); console.log(JSON.stringify(seen)); },
    ];
    steps.forEach((step, i) => setTimeout(step, 50 * (i + 1)));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), ['Interrupt: stopping after this batch', 'interrupted by SIGINT after epoch 1']);
});
