/** A worker thread that computes one shard of each training step on its own backend and replica of the model.
 *  It keeps no state between steps: every request carries the current weights. */
import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { BackendChoice, initBackend } from '../backend/choose';
import { registerLayers } from '../model/layers';
import { Shard, shardGradients, writeWeights } from './shard';

export interface WorkerInit {
  backend: BackendChoice;
  /** The model's topology, model.toJSON(null, false). */
  topology: object;
}
export interface StepRequest {
  weights: Float32Array[];
  shard: Shard;
}

async function main(): Promise<void> {
  const port = parentPort!;
  const { backend, topology } = workerData as WorkerInit;
  await initBackend(backend);
  registerLayers();
  const model = await tf.models.modelFromJSON(topology as tf.io.ModelJSON['modelTopology'] as tf.serialization.ConfigDict);
  port.on('message', async (request: StepRequest) => {
    try {
      writeWeights(model.weights, request.weights);
      const result = await shardGradients(model, request.shard);
      port.postMessage({ result }, [...result.grads, ...result.state].map((a) => a.buffer as ArrayBuffer));
    } catch (e) {
      port.postMessage({ error: String((e as Error).message ?? e) });
    }
  });
  port.postMessage({ ready: true });
}

main().catch((e) => parentPort!.postMessage({ error: String((e as Error).message ?? e) }));
