import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Loads what saveModel (or tfjs-node's `file://` handler) wrote. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const file = join(dir, MODEL_JSON);
  if (!existsSync(file)) throw new Error(`${dir}: no model here (expected ${MODEL_JSON} and ${WEIGHTS_BIN})`);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!json.modelTopology || !json.weightsManifest) throw new Error(`${file}: not a TensorFlow.js layers model`);
  registerLayers();
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const buffers = manifest.flatMap((group) => group.paths.map((p) => readWeights(join(dir, p))));
    return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
  });
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new Error(`${dir}: model.json and its weights do not make a model (${(e as Error).message.split('\n')[0]})`);
  }
}

function readWeights(file: string): ArrayBuffer {
  if (!existsSync(file)) throw new Error(`${file}: missing weights file`);
  const bytes = readFileSync(file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}
