import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { compileAll, exportName, generatedModule, MODULES_FILE } from '../../lib/backend/kernels/wasm/compile';
import * as modules from '../../lib/backend/kernels/wasm/modules';

// The kernels run the bytes of wasm/modules.ts, not the .wat sources: an edit to a .wat without `npm run build:wasm`
// would change nothing that runs. These fail then.

test('wasm/modules.ts holds, for every .wat and nothing else, the bytes wabt compiles it to', async () => {
  const compiled = await compileAll();
  const embedded: Record<string, string> = { ...modules };
  assert.deepEqual(Object.keys(embedded).sort(), [...compiled.keys()].map(exportName).sort(), 'one export per .wat');
  for (const [file, bytes] of compiled) {
    assert.equal(embedded[exportName(file)], Buffer.from(bytes).toString('base64'), `${basename(file)}: run npm run build:wasm`);
  }
});

test('wasm/modules.ts is exactly what npm run build:wasm writes (no hand edits)', async () => {
  assert.equal(readFileSync(MODULES_FILE, 'utf8'), generatedModule(await compileAll()));
});
