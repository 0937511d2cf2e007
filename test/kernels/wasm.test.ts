import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  checkSelfContained, compileWat, exportName, generatedModule, MODULES_FILE, sourceFiles, sourceHash,
} from '../../lib/backend/kernels/wasm/compile';
import * as modules from '../../lib/backend/kernels/wasm/modules';

// The kernels run the bytes of wasm/modules.ts, not the sources: an edit to a .wat or .c without `npm run build:wasm`
// would change nothing that runs. These fail then. The .wat files are recompiled here (wabt is an npm package); the
// .c files need clang, which a clone need not have, so for them the test checks the source hash that the build
// wrote beside their bytes.

const embedded: Record<string, string> = { ...modules };
const bytesOf = (file: string) => new Uint8Array(Buffer.from(embedded[exportName(file)], 'base64'));

/** The source hashes modules.ts records, by source file name. */
function recordedHashes(): Map<string, string> {
  const text = readFileSync(MODULES_FILE, 'utf8');
  return new Map([...text.matchAll(/\/\*\* (\S+), compiled; source SHA-256 ([0-9a-f]{64})\. \*\//g)].map((m) => [m[1], m[2]]));
}

test('wasm/modules.ts holds one module per source, built from that source as it is now', () => {
  const sources = sourceFiles();
  assert.ok(sources.some((f) => f.endsWith('.c')) && sources.some((f) => f.endsWith('.wat')));
  assert.deepEqual(Object.keys(embedded).sort(), sources.map(exportName).sort(), 'one export per source');
  const recorded = recordedHashes();
  for (const file of sources) {
    assert.equal(recorded.get(basename(file)), sourceHash(file), `${basename(file)} changed since its build: run npm run build:wasm`);
  }
});

test('each .wat module is the bytes wabt compiles it to', async () => {
  for (const file of sourceFiles().filter((f) => f.endsWith('.wat'))) {
    assert.deepEqual(bytesOf(file), await compileWat(file), `${basename(file)}: run npm run build:wasm`);
  }
});

test('each module imports the backend\'s memory only and keeps nothing of its own in it (no stack, no data)', async () => {
  for (const file of sourceFiles()) await checkSelfContained(file, bytesOf(file));
});

test('wasm/modules.ts is exactly what npm run build:wasm writes (no hand edits)', () => {
  assert.equal(readFileSync(MODULES_FILE, 'utf8'), generatedModule(new Map(sourceFiles().map((f) => [f, bytesOf(f)]))));
});

test('checkSelfContained refuses a module with a C stack', async () => {
  // (module (import "env" "memory" (memory 1)) (global (mut i32) (i32.const 0)) (func (global.set 0 (i32.const 1))))
  const withStack = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 15, 1, 3, 101, 110, 118, 6,
    109, 101, 109, 111, 114, 121, 2, 0, 1, 3, 2, 1, 0, 6, 6, 1, 127, 1, 65, 0, 11, 10, 8, 1, 6, 0, 65, 1, 36, 0, 11]);
  await assert.rejects(checkSelfContained('stack.c', withStack), /uses memory of its own \(global\.set\)/);
  await assert.rejects(checkSelfContained('none.c', withStack.slice(0, 14)), /must import env\.memory and nothing else; it imports nothing/);
});
