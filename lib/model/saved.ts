import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { atomicWrite } from '../util/atomicWrite';
import { readJsonFile, readRegularFile } from '../util/readFile';
import { registerLayers } from './layers';
import { isObject, NetWeight, readTopology } from './topology';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
/** The original's model.json is 8 kB, and one of a thousand layers would be some 300 kB. */
const MODEL_BYTES = 16 * 2 ** 20;
/** model.json nests 8 deep (a Dense layer's initialiser's config); the rest is room for what tfjs may add. */
const MODEL_DEPTH = 12;

/** The SHA-256 sums (hex) saveModel records in model.json, as userDefinedMetadata.mnist20k.sha256 (the field tfjs
 *  keeps for a writer's own data): of the weight data as a whole (weights.bin), and of each weight's bytes. */
interface Checksums {
  weights: string;
  tensors: Record<string, string>;
}
const CHECKSUMS_AT = 'userDefinedMetadata.mnist20k.sha256';

/** Writes model.json + weights.bin as tfjs-node's `file://` handler does, on any backend (that handler exists only
 *  with tfjs-node), and records in model.json the SHA-256 of the weights and of each weight, by which loadModel tells
 *  weights changed after they were written, or another run's, from the ones model.json describes. Each file is written
 *  to a temporary name and renamed, so a reader never sees half a file. Returns the SHA-256 of weights.bin: the
 *  model's identity, which history.json records. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  let identity = '';
  await model.save({
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      const specs = artifacts.weightSpecs ?? [];
      const checksums: Checksums = {
        weights: sha256(weights),
        tensors: Object.fromEntries(weightBytes(specs, weights).map(({ name, bytes }) => [name, sha256(bytes)])),
      };
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: specs }],
        userDefinedMetadata: { mnist20k: { sha256: checksums } },
      };
      atomicWrite(join(dir, WEIGHTS_BIN), weights);
      atomicWrite(join(dir, MODEL_JSON), JSON.stringify(json));
      identity = checksums.weights;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  });
  return identity;
}

/** Loads what saveModel (or tfjs-node's `file://` handler) wrote, and only that, checking before tfjs builds anything
 *  (it allocates every layer's weights as it builds): model.json is bounded in size and depth; its topology is a
 *  network buildNet makes, within planSpec's bounds; its manifest describes exactly that network's weights; weight
 *  files lie inside `dir`, links resolved, are regular files and hold exactly the bytes the manifest describes; the
 *  SHA-256 sums saveModel records match (a model saved without them still loads); every weight is finite. Every
 *  refusal is one line naming the file and the field or weight. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const saved = readSaved(dir);
  const data = readWeights(saved);
  checkWeights(saved, data);
  registerLayers();
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: saved.topology, weightSpecs: saved.weights, weightData: data }));
  } catch (e) {
    throw new Error(`${dir}: model.json and its weights do not make a model (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The SHA-256 of the weights DIR/model.json records (saveModel's identity of the model), or undefined for a model
 *  saved without it. model.json is checked as loadModel checks it; the weights are not read. */
export function savedWeightsSha256(dir: string): string | undefined {
  return readSaved(dir).checksums?.weights;
}

/** model.json read and checked, short of its weight files. */
interface Saved {
  dir: string;
  /** DIR/model.json, as messages name it. */
  file: string;
  topology: object;
  groups: WeightGroup[];
  /** Every group's weights, in the order of their bytes. */
  weights: tf.io.WeightsManifestEntry[];
  checksums?: Checksums;
}

interface WeightGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

function readSaved(dir: string): Saved {
  const file = join(dir, MODEL_JSON);
  if (!existsSync(file)) throw new Error(`${dir}: no model here (expected ${MODEL_JSON} and ${WEIGHTS_BIN})`);
  const json = readJsonFile(file, 'a TensorFlow.js model.json', { maxBytes: MODEL_BYTES, maxDepth: MODEL_DEPTH });
  if (!isObject(json) || !isObject(json.modelTopology) || !('weightsManifest' in json)) throw new Error(`${file}: not a TensorFlow.js layers model`);
  const groups = manifestOf(file, json.weightsManifest);
  let network: NetWeight[];
  try {
    network = readTopology(json.modelTopology).weights;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const weights = groups.flatMap((g) => g.weights);
  checkManifestFits(file, groups, network);
  return { dir, file, topology: json.modelTopology, groups, weights, checksums: checksumsOf(file, json.userDefinedMetadata, weights) };
}

/** weightsManifest in the shape tfjs reads it: groups of files ({ paths }) holding weights ({ name, shape, dtype }). */
function manifestOf(file: string, manifest: unknown): WeightGroup[] {
  const fail = (at: string, expected: string) => new Error(`${file}: ${at}: expected ${expected}`);
  if (!Array.isArray(manifest) || !manifest.length) throw fail('weightsManifest', 'a list of weight groups ({ paths, weights })');
  return manifest.map((group, g) => {
    const at = `weightsManifest[${g}]`;
    if (!isObject(group)) throw fail(at, 'a weight group ({ paths, weights })');
    const { paths, weights } = group;
    if (!Array.isArray(paths) || !paths.length || paths.some((p) => typeof p !== 'string')) throw fail(`${at}.paths`, 'a list of file names');
    if (!Array.isArray(weights)) throw fail(`${at}.weights`, 'a list of weights ({ name, shape, dtype })');
    weights.forEach((w, i) => {
      if (!isObject(w) || typeof w.name !== 'string') throw fail(`${at}.weights[${i}]`, 'a weight ({ name, shape, dtype })');
      if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw fail(`${at}.weights[${i}].shape`, 'a list of non-negative integers');
      // The network's weights are all float32; a quantized one would be another network's numbers.
      if (w.dtype !== 'float32' || w.quantization !== undefined) throw fail(`${at}.weights[${i}]`, 'float32 values (not quantized)');
    });
    return { paths, weights } as WeightGroup;
  });
}

/** The manifest describes exactly the weights of the topology's network: each once, with its shape. */
function checkManifestFits(file: string, groups: WeightGroup[], network: NetWeight[]): void {
  const needed = new Map(network.map((w) => [w.name, w.shape]));
  const listed = new Set<string>();
  groups.forEach(({ weights }, g) => weights.forEach(({ name, shape }, i) => {
    const at = `${file}: weightsManifest[${g}].weights[${i}] (${name})`;
    if (!needed.has(name)) throw new Error(`${at}: no layer of modelTopology has this weight`);
    if (listed.has(name)) throw new Error(`${at}: listed twice`);
    if (shape.join('x') !== needed.get(name)!.join('x')) throw new Error(`${at}: shape ${shape.join('x')}, the network of modelTopology has ${needed.get(name)!.join('x')}`);
    listed.add(name);
  }));
  const missing = network.find((w) => !listed.has(w.name));
  if (missing) throw new Error(`${file}: weightsManifest: no weight ${missing.name}, which the network of modelTopology has`);
}

/** The sums saveModel records, or undefined where model.json has none (saved before they were recorded, or by
 *  tfjs-node); sums present but incomplete are refused, not skipped. */
function checksumsOf(file: string, metadata: unknown, weights: tf.io.WeightsManifestEntry[]): Checksums | undefined {
  const ours = isObject(metadata) ? metadata.mnist20k : undefined;
  if (ours === undefined) return undefined;
  const sums = isObject(ours) ? ours.sha256 : undefined;
  if (!isObject(sums) || !isSha256(sums.weights) || !isObject(sums.tensors)) {
    throw new Error(`${file}: ${CHECKSUMS_AT}: expected { weights, tensors } of SHA-256 sums (64 hex digits)`);
  }
  const tensors = sums.tensors;
  const missing = weights.find((w) => !Object.hasOwn(tensors, w.name) || !isSha256(tensors[w.name]));
  if (missing) throw new Error(`${file}: ${CHECKSUMS_AT}.tensors: no SHA-256 for weight ${missing.name}`);
  const names = new Set(weights.map((w) => w.name));
  const extra = Object.keys(tensors).find((name) => !names.has(name));
  if (extra) throw new Error(`${file}: ${CHECKSUMS_AT}.tensors: ${extra} is no weight of weightsManifest`);
  return sums as unknown as Checksums;
}

/** The weight data of every group, in manifest order, as one buffer (what tfjs takes). */
function readWeights(saved: Saved): ArrayBuffer {
  const folder = realpathSync(saved.dir);
  const data = Buffer.concat(saved.groups.map((group) => readGroup(saved, group, folder)));
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
}

/** A group's files, read only once each is known to lie inside the folder and the sizes of all of them add up to the
 *  bytes its weights take: a link to /dev/zero or to a file elsewhere is refused before a byte is read. */
function readGroup(saved: Saved, group: WeightGroup, folder: string): Buffer {
  const files = group.paths.map((path) => weightFile(saved, path, folder));
  const needed = group.weights.reduce((sum, w) => sum + bytesOf(w), 0);
  const sizes = files.map((f) => statSync(f)).map((s) => (s.isFile() ? s.size : NaN));
  const held = sizes.reduce((a, b) => a + b, 0);
  // NaN where one is not a regular file: readRegularFile then refuses it, saying what it is.
  if (!Number.isNaN(held) && held !== needed) throw new Error(`${saved.file}: its weight files hold ${held} bytes, its manifest describes ${needed}`);
  const data = Buffer.concat(files.map((f) => readRegularFile(f, 'a weights file', needed)));
  if (data.length !== needed) throw new Error(`${files.join(', ')}: changed while being read`);
  return data;
}

/** DIR/PATH for a weight file named in the manifest, which may not lead out of the model's folder: not by its name
 *  (../, an absolute path), nor through a symbolic link (`folder` is the folder's real path). */
function weightFile({ file, dir }: Saved, path: string, folder: string): string {
  const named = join(dir, path);
  if (!resolve(dir, path).startsWith(resolve(dir) + sep)) throw new Error(`${file}: weight file '${path}' lies outside the model's folder`);
  if (!existsSync(named)) throw new Error(`${named}: missing weights file`);
  const real = realpathSync(named);
  if (!real.startsWith(folder + sep)) throw new Error(`${named}: a link to ${real}, outside the model's folder (only files inside it are read)`);
  return named;
}

/** The weights are the ones model.json records sums of (when it does), and all finite. */
function checkWeights({ dir, file, groups, weights, checksums }: Saved, data: ArrayBuffer): void {
  const files = groups.flatMap((g) => g.paths.map((p) => join(dir, p))).join(', ');
  const tensors = weightBytes(weights, new Uint8Array(data));
  if (checksums) {
    const changed = tensors.find(({ name, bytes }) => sha256(bytes) !== checksums.tensors[name]);
    const why = `(changed after it was written, or another model's)`;
    if (changed) throw new Error(`${files}: weight ${changed.name} does not match the SHA-256 ${file} records for it ${why}`);
    // Each weight matches, yet the whole may not if the manifest was reordered: the identity must hold for the whole.
    if (sha256(new Uint8Array(data)) !== checksums.weights) throw new Error(`${files}: does not match the SHA-256 ${file} records for the weights ${why}`);
  }
  for (const { name, bytes } of tensors) {
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${dir}: weight ${name} holds ${values[bad]} at index ${bad}; not a usable model`);
  }
}

/** Each weight's bytes in `data`, where they lie one after another in manifest order. */
function weightBytes(specs: tf.io.WeightsManifestEntry[], data: Uint8Array): { name: string; bytes: Uint8Array }[] {
  let at = 0;
  return specs.map((spec) => ({ name: spec.name, bytes: data.subarray(at, (at += bytesOf(spec))) }));
}

function bytesOf(spec: tf.io.WeightsManifestEntry): number {
  return spec.shape.reduce((a, b) => a * b, 1) * tf.util.bytesPerElement(spec.dtype);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isSha256(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
}
