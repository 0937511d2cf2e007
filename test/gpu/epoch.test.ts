/** One epoch on 2,048 images with --backend webgpu against wasm, one shard and the same seed: the train loss within
 *  2 % and the test accuracy within 2 points. On the machine's GPU when Dawn finds one, else on SwiftShader (Debian's
 *  chromium package). Not part of `npm test`: on SwiftShader on a 2-core VM the webgpu run took 23 minutes.
 *  Run it with `npm run test:gpu`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeAdapter, SWIFTSHADER_ICD } from '../../lib/backend/webgpu';
import { EpochStats } from '../../lib/train/loop';
import { mnist20kWith } from '../e2e/mnist20k';

async function oneEpoch(backend: 'wasm' | 'webgpu', env: NodeJS.ProcessEnv): Promise<EpochStats> {
  const out = join(mkdtempSync(join(tmpdir(), `mnist20k-epoch-${backend}-`)), 'run');
  const r = mnist20kWith(env, 'train', '--backend', backend, '--shards', '1', '--seed', '1', '--epochs', '1',
    '--train-samples', '2048', '--test-samples', '1000', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).history[0];
}

test('one epoch on 2,048 images: webgpu gives the train loss of wasm within 2 % and its test accuracy within 2 points', async () => {
  const env = (await probeAdapter()).adapter ? {} : { VK_ICD_FILENAMES: SWIFTSHADER_ICD };
  const wasm = await oneEpoch('wasm', {});
  const gpu = await oneEpoch('webgpu', env);
  const lossGap = Math.abs(gpu.trainLoss - wasm.trainLoss) / wasm.trainLoss;
  assert.ok(lossGap < 0.02, `train loss ${gpu.trainLoss} on webgpu, ${wasm.trainLoss} on wasm: ${(100 * lossGap).toFixed(2)} % apart`);
  assert.ok(Math.abs(gpu.testAcc - wasm.testAcc) < 2, `test accuracy ${gpu.testAcc} % on webgpu, ${wasm.testAcc} % on wasm`);
  console.log(`webgpu: ${JSON.stringify(gpu)}\nwasm:   ${JSON.stringify(wasm)}`);
});
