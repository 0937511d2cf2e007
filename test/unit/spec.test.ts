import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { buildNet, trainableParams } from '../../lib/model/net';
import { receptiveFields, receptiveFieldTable } from '../../lib/model/receptiveField';
import { specActivations, specWeights } from '../../lib/model/footprint';
import { describeSpec } from '../../lib/model/describeSpec';
import { Block, defaultSpec, isDefaultSpec, MAX_ACTIVATIONS, MAX_PARAMS, NetSpec, planSpec, specParams } from '../../lib/model/spec';
import { Rng } from '../../lib/util/rng';
import { summary } from '../../lib/model/summary';

before(async () => {
  await tf.setBackend('cpu');
});

/** SHA-256 of a model's weights, shapes and values in order. */
function weightsHash(model: tf.LayersModel): string {
  const hash = createHash('sha256');
  for (const w of model.getWeights()) {
    const values = w.dataSync();
    hash.update(`${w.shape.join('x')};`);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}

test('the default spec builds the weights the hand-written builder did, bit for bit, for every seed tried', () => {
  // Hashes of buildNet({ seed }) taken with the builder before specs existed (commit bce369d), on the cpu backend.
  const before: Record<number, string> = {
    1: 'f960aff1af70a7807f98d5109c5326d8397e8fa1eb35bac94355c2087a6c5597',
    2: '45073d0d2d0338d4a2ab7b9bdb4b243d220a1718ead8f3341d037f63bd4c5c9c',
    7: '31b7c61c0ae774d98652d3fbb84602169733c1503d8c6f069d715d56e824e7bf',
    12345: '5959641127fbd1d548b91a5a3b4cc762d9ecaa3b047e620b5fb6a0bd9f69a748',
  };
  for (const [seed, hash] of Object.entries(before)) {
    const model = buildNet({ seed: Number(seed), spec: defaultSpec() });
    assert.equal(weightsHash(model), hash, `seed ${seed}`);
    model.dispose();
  }
});

test('the receptive field of the original, layer by layer, as worked out by hand', () => {
  const model = buildNet();
  const rows = receptiveFields(model);
  model.dispose();
  // conv 3 pad 1 → 3, conv 3 → 5, conv 3 → 7, maxpool 2 → 8 (jump 2), 1×1 → 8, conv 3 → 8 + 2·2 = 12, → 16, 1×1 → 16,
  // conv 3 → 20, → 24, avgpool 4 → 24 + 3·2 = 30 (jump 8); the linear layer on the 1×1 map adds nothing.
  assert.deepEqual(rows.map((r) => [r.name, r.rf, r.jump]), [
    ['input', 1, 1], ['Conv2d-1', 3, 1], ['Conv2d-5', 5, 1], ['Conv2d-9', 7, 1], ['MaxPool2d-13', 8, 2], ['Conv2d-14', 8, 2],
    ['Conv2d-17', 12, 2], ['Conv2d-21', 16, 2], ['Conv2d-25', 16, 2], ['Conv2d-28', 20, 2], ['Conv2d-32', 24, 2],
    ['AvgPool2d-36', 30, 8], ['Linear-37', 30, 8],
  ]);
  assert.deepEqual(rows[10].output, [32, 4, 4]);
  assert.deepEqual(rows.map((r) => r.params).filter((p) => p), [72, 1152, 2304, 128, 1152, 4608, 256, 1152, 4608, 330]);
});

/** A learner's smaller network: no linear head, 10 channels pooled to 1×1. */
const small: NetSpec = {
  dropout: 0.05,
  blocks: [
    { conv: 8, kernel: 3 },
    { conv: 8, kernel: 3 },
    { maxPool: 2 },
    { conv: 16, kernel: 3 },
    { conv: 16, kernel: 3 },
    { conv: 10, kernel: 1, relu: false, batchNorm: false, dropout: false },
    { avgPool: 8 },
  ],
};

test('a smaller spec builds its own network, summary and receptive-field table', () => {
  const model = buildNet({ seed: 1, spec: small });
  assert.equal(trainableParams(model), specParams(small));
  assert.equal(specParams(small), 72 + 16 + 576 + 16 + 1152 + 32 + 2304 + 32 + 160);
  const table = summary(model).split('\n');
  assert.ok(table.includes(`${'Conv2d-1'.padStart(20)}  ${'[-1, 8, 26, 26]'.padStart(25)} ${'72'.padStart(15)}`), table.join('\n'));
  const last = table.findIndex((l) => /^\s+Conv2d-18\s+\[-1, 10, 8, 8\]\s+160$/.test(l));
  assert.match(table[last + 1], /^\s+AvgPool2d-19\s+\[-1, 10, 1, 1\]\s+0$/, 'the 1×1 conv to 10 channels alone: no ReLU, BatchNorm, Dropout');
  assert.ok(!table.some((l) => /Linear/.test(l)));
  assert.ok(table.includes(`Total params: ${specParams(small).toLocaleString('en-US')}`));
  // 3, 5, pool → 6 (jump 2), 10, 14, 1×1 → 14, avgpool 8 → 14 + 7·2 = 28 (jump 16): the output sees the whole image.
  assert.deepEqual(receptiveFields(model).map((r) => [r.rf, r.jump]), [[1, 1], [3, 1], [5, 1], [6, 2], [10, 2], [14, 2], [14, 2], [28, 16]]);
  assert.match(receptiveFieldTable(model), /^Each output sees 28×28 pixels of the 28×28 image\.$/m);
  const logProbs = model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
  assert.deepEqual(logProbs.shape, [2, 10]);
  model.dispose();
});

test('the spec reads as written, with each block\'s output and parameters', () => {
  const lines = describeSpec(defaultSpec()).split('\n');
  assert.equal(lines.length, 14);
  assert.match(lines[1], /^ {2}1 {2}\{ conv: 8, kernel: 3, pad: 1 \} +\[8, 28, 28\] +88 {2}Conv2d → ReLU → BatchNorm2d → Dropout2d$/);
  assert.match(lines[5], /^ {2}5 {2}\{ conv: 8, kernel: 1, batchNorm: false \} +\[8, 12, 12\] +128 {2}Conv2d → ReLU → Dropout2d$/);
  assert.match(lines[12], /^ 12 {2}\{ linear: 10 \} +\[10\] +330 {2}Flatten → Linear$/);
  assert.match(lines[13], /total +16,034 {2}then LogSoftmax; Dropout2d rate 0\.01$/);
  assert.match(describeSpec(small), /total +4,360 {2}then Flatten → LogSoftmax; Dropout2d rate 0\.05$/);
});

test('a spec that does not fit is one line naming the block', () => {
  const original = defaultSpec().blocks;
  const bad: [unknown, RegExp][] = [
    [{ dropout: 0.01, blocks: [...original.slice(0, 6), { maxPool: 4 }, { conv: 32, kernel: 3 }, { linear: 10 }] },
      /^spec block 8 \(conv 3×3, 32\): input is 2×2, smaller than the 3×3 kernel$/],
    [{ dropout: 0.01, blocks: [{ conv: -4, kernel: 3 }] }, /^spec block 1 \(conv 3×3, -4\): channels must be a positive integer, got -4$/],
    [{ dropout: 0.01, blocks: [{ pool: 2 }] }, /^spec block 1: is of no known kind \(a block is one of conv, maxPool, avgPool, linear\), got \{"pool":2\}$/],
    [{ dropout: 0.01, blocks: [{ conv: 8, maxPool: 2 }] }, /^spec block 1: is conv and maxPool at once/],
    [{ dropout: 0.01, blocks: [{ conv: 8, kernal: 3 }] }, /^spec block 1: unknown field 'kernal' \(a conv block takes conv, kernel, pad, relu, batchNorm, dropout\)$/],
    [{ dropout: 0.01, blocks: [{ conv: 8, kernel: 3, pad: 2 }] }, /^spec block 1 \(conv 3×3, 8, pad 2\): pad 2 is not supported: TensorFlow\.js pads 0 or \(kernel − 1\) \/ 2 = 1$/],
    [{ dropout: 0.01, blocks: [{ conv: 8, kernel: 3, relu: 'yes' }] }, /^spec block 1 \(conv 3×3, 8\): relu must be true or false, got "yes"$/],
    [{ dropout: 0.01, blocks: [{ avgPool: 28 }, { linear: 10 }, { maxPool: 2 }] }, /^spec block 3 \(maxPool 2\): comes after a linear layer/],
    [{ dropout: 0.01, blocks: [{ avgPool: 29 }] }, /^spec block 1 \(avgPool 29\): input is 28×28, smaller than the 29×29 window$/],
    [{ dropout: 0.01, blocks: original.slice(0, -1) }, /^spec: the network ends with 1×1×32 = 32 outputs per image, not 10 \(one per digit\)/],
    [{ dropout: 1, blocks: original }, /^spec: dropout must be a number from 0 up to \(not including\) 1, got 1$/],
    [{ dropout: 0.01, blocks: [] }, /^spec: blocks must be a non-empty list$/],
    [{ dropout: 0.01, blocks: original, layers: [] }, /^spec: unknown field 'layers'/],
    // Sizes are bounded before anything is allocated: parameters, and the values a step keeps per image.
    [{ dropout: 0.01, blocks: [{ linear: 1e9 }, { linear: 10 }] },
      /^spec block 1 \(linear 1000000000\): brings the network to 785,000,000,000 parameters, beyond the 10,000,000 a network here may have$/],
    [{ dropout: 0.01, blocks: [{ conv: 8, kernel: 3, pad: 1 }, { conv: 1e6, kernel: 3 }, { avgPool: 26 }, { linear: 10 }] },
      /^spec block 2 \(conv 3×3, 1000000\): brings the network to 74,000,088 parameters, beyond the 10,000,000/],
    [{ dropout: 0.01, blocks: [{ conv: 30000, kernel: 1, batchNorm: false }, { conv: 10, kernel: 1 }, { avgPool: 28 }] },
      /^spec block 1 \(conv 1×1, 30000\): brings the network's outputs to 70,560,000 values per image, beyond the 16,777,216 a network here may have$/],
  ];
  for (const [spec, message] of bad) {
    const oneLine = (e: Error) => message.test(e.message) && !e.message.includes('\n');
    assert.throws(() => planSpec(spec as NetSpec), oneLine, JSON.stringify(spec));
    assert.throws(() => buildNet({ spec: spec as NetSpec }), oneLine, 'before anything is built');
  }
});

/** A spec drawn at random: convolution blocks of any kind (padded or not, with or without ReLU, BatchNorm, dropout),
 *  pools where the map allows, a linear head or 10 channels pooled to 1×1. */
function randomSpec(rng: Rng): NetSpec {
  const int = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
  const blocks: Block[] = [];
  let size = 28;
  for (let i = int(1, 5); i > 0 && size >= 3; i--) {
    const kernel = [1, 3][int(0, 1)];
    const pad = kernel === 3 && int(0, 1) ? 1 : 0;
    blocks.push({ conv: int(1, 12), kernel, pad, relu: int(0, 1) === 1, batchNorm: int(0, 1) === 1, dropout: int(0, 1) === 1 });
    size -= pad ? 0 : kernel - 1;
    if (size >= 4 && int(0, 1)) {
      blocks.push(int(0, 1) ? { maxPool: 2 } : { avgPool: 2 });
      size = Math.floor(size / 2);
    }
  }
  if (int(0, 1)) blocks.push({ linear: int(4, 20) }, { linear: 10 });
  else blocks.push({ conv: 10, kernel: 1, batchNorm: false }, { avgPool: size });
  return { dropout: int(0, 1) ? 0.05 : 0, blocks };
}

test('a spec\'s values per image and its weights, as planned, are what the built network has, for random specs', () => {
  const rng = new Rng(25);
  for (let i = 0; i < 12; i++) {
    const spec = i ? randomSpec(rng) : defaultSpec();
    const model = buildNet({ spec });
    const outputs = model.layers.reduce((sum, l) => sum + (l.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1), 0);
    assert.equal(specActivations(spec), outputs, JSON.stringify(spec));
    assert.equal(specParams(spec), trainableParams(model), JSON.stringify(spec));
    assert.deepEqual(specWeights(spec), model.weights.map((w) => ({ shape: w.shape, trainable: w.trainable })), JSON.stringify(spec));
    model.dispose();
  }
  assert.ok(specParams(defaultSpec()) * 600 <= MAX_PARAMS && specActivations(defaultSpec()) * 100 <= MAX_ACTIVATIONS, 'room to grow');
});

test('a spec may say what it tries in one about line, which is no part of the network', () => {
  const about = 'Narrower early, where the maps are largest.';
  assert.equal(specParams({ ...defaultSpec(), about }), 16_034);
  assert.ok(isDefaultSpec({ about, ...defaultSpec() }));
  assert.equal(describeSpec({ ...defaultSpec(), about }).split('\n')[0], about);
  for (const bad of [42, 'two\nlines', 'x'.repeat(501)]) {
    assert.throws(() => planSpec({ ...defaultSpec(), about: bad as string }), { message: 'spec: about must be one line of text of at most 500 characters' });
  }
  assert.throws(() => planSpec({ ...defaultSpec(), note: 'x' } as NetSpec), { message: "spec: unknown field 'note' (a spec has dropout, blocks and, if it likes, about)" });
});
