import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRunRecords } from '../../lib/run/record';
import { ROOT } from '../../lib/util/paths';
import { compareFigure, compareTable } from '../../lib/views/compare';

const COMMITTED = ['models/s6_net1', 'models/s6_net1-seed2', 'models/plain-recipe'];

test('run folders, history files and folders of history files are found and named by their paths', () => {
  const runs = findRunRecords([...COMMITTED, 'models/plain-recipe/seed1-history.json'], ROOT);
  assert.deepEqual(runs.map((r) => r.name),
    ['models/s6_net1', 'models/s6_net1-seed2', 'models/plain-recipe/seed1', 'models/plain-recipe/seed2', 'models/plain-recipe/seed1']);
  assert.throws(() => findRunRecords(['models/none'], ROOT), /^Error: models\/none: no such file or folder$/);
  assert.throws(() => findRunRecords(['lib'], ROOT), /^Error: lib: no history\.json here, nor any \*history\.json/);
});

test('the table: best and its epoch, first epoch at 99.40 %, the last five and their worst, s/epoch, backend, what differs', () => {
  const lines = compareTable(findRunRecords(COMMITTED, ROOT)).split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^run +best \(epoch\) +first ≥ 99\.40 +last five \(min\) +s\/epoch +backend +settings that differ$/);
  // The README's numbers for these runs.
  assert.match(lines[1], /^models\/s6_net1 +99\.45 \(19\) +10 +99\.42 99\.43 99\.44 99\.45 99\.44 \(99\.42\) +21\.3 +wasm +lr-step=8 seed=1$/);
  assert.match(lines[3], /^models\/plain-recipe\/seed1 +99\.41 \(16\) +16 +99\.41 99\.31 99\.36 99\.41 99\.28 \(99\.28\) +19\.4 +wasm +lr-step=0 seed=1$/);
});

test('a setting a record lacks counts as its default; a run that never reached 99.40 % says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-compare-'));
  const record = JSON.parse(readFileSync(join(ROOT, 'models', 's6_net1', 'history.json'), 'utf8'));
  delete record.settings.augment; // a record from before --augment existed
  writeFileSync(join(dir, 'old-history.json'), JSON.stringify(record));
  const short = { ...record, settings: { ...record.settings, epochs: 2, augment: true }, history: record.history.slice(0, 2) };
  writeFileSync(join(dir, 'short-history.json'), JSON.stringify(short));
  const runs = findRunRecords([dir], dir);
  const lines = compareTable(runs).split('\n');
  assert.match(lines[1], /^old +99\.45 \(19\) +10 .* epochs=20 augment=off$/);
  assert.match(lines[2], /^short +98\.88 \(2\) +not reached +98\.69 98\.88 \(98\.69\) .* epochs=2 augment=on$/);
  const figure = compareFigure(runs);
  assert.deepEqual((figure.data as { name: string; y: number[] }[]).map((t) => [t.name, t.y.length]), [['old', 20], ['short', 2]]);
});
