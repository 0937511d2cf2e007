import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { atomicWrite } from '../util/atomicWrite';
import { registerLayers } from './layers';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** Writes model.json + weights.bin as tfjs-node's `file://` handler does, on any backend (that handler exists only
 *  with tfjs-node). Each file is written to a temporary name and renamed, so a reader never sees half a file. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save({
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
      };
      atomicWrite(join(dir, WEIGHTS_BIN), weights);
      atomicWrite(join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  });
}

/** Loads what saveModel (or tfjs-node's `file://` handler) wrote, and only that: weight files named by the manifest
 *  must lie inside `dir` and hold exactly the bytes it describes, and every weight must be finite. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const file = join(dir, MODEL_JSON);
  if (!existsSync(file)) throw new Error(`${dir}: no model here (expected ${MODEL_JSON} and ${WEIGHTS_BIN})`);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!json?.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error(`${file}: not a TensorFlow.js layers model`);
  registerLayers();
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const buffers = manifest.flatMap((group) => group.paths.map((p) => readWeights(file, dir, p)));
    const bytes = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    const needed = specs.reduce((sum, spec) => sum + specBytes(file, spec), 0);
    if (bytes !== needed) throw new Error(`${file}: its weight files hold ${bytes} bytes, its manifest describes ${needed}`);
    return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
  });
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new Error(`${dir}: model.json and its weights do not make a model (${(e as Error).message.split('\n')[0]})`);
  }
  const problem = nonFiniteWeight(model);
  if (problem) {
    model.dispose();
    throw new Error(`${dir}: ${problem}; not a usable model`);
  }
  return model;
}

/** Bytes per value of the dtypes a weights manifest can name (for quantized weights, of the stored dtype). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function specBytes(file: string, spec: tf.io.WeightsManifestEntry): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = Array.isArray(spec.shape) ? spec.shape.reduce((a, b) => a * b, 1) : NaN;
  if (!(dtype in DTYPE_BYTES) || !Number.isSafeInteger(size)) throw new Error(`${file}: weight ${spec.name} has dtype ${dtype}, shape ${spec.shape}`);
  return DTYPE_BYTES[dtype] * size;
}

/** A weight file named in the manifest, which may not lead out of the model's folder (../, an absolute path). */
function readWeights(file: string, dir: string, path: string): ArrayBuffer {
  const weights = resolve(dir, String(path));
  if (typeof path !== 'string' || !weights.startsWith(resolve(dir) + sep)) {
    throw new Error(`${file}: weight file '${path}' lies outside the model's folder`);
  }
  if (!existsSync(weights)) throw new Error(`${weights}: missing weights file`);
  const bytes = readFileSync(weights);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** "weight NAME holds NaN at index I" for the first weight that is not finite, or undefined. */
function nonFiniteWeight(model: tf.LayersModel): string | undefined {
  for (const w of model.weights) {
    const values = w.read().dataSync();
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return `weight ${w.originalName} holds ${values[bad]} at index ${bad}`;
  }
  return undefined;
}
