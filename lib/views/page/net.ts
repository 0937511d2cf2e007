import * as tf from '@tensorflow/tfjs';
import { IMAGE_SHAPE } from '../../data/pixels';
import { EmbeddedModel } from './data';

/** One convolution block's output for one image: `channels` maps of height × width, channels last. */
export interface Maps { height: number; width: number; channels: number; values: Float32Array }

export interface Decision { probabilities: number[]; maps: Maps[] }

/** Layers that end a convolution block (lib/model/net.ts: Conv2d → ReLU → BatchNorm2d → Dropout2d): the next block,
 *  a pooling layer or the head. */
const BLOCK_ENDS = new Set(['Conv2d', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'Dense']);

/** The trained network, loaded by tfjs from the embedded weights with the layers registered from lib/model, asked
 *  for its output and for each convolution block's maps in one pass. */
export class Net {
  private constructor(private readonly withMaps: tf.LayersModel) {}

  static async load(embedded: EmbeddedModel): Promise<Net> {
    const weightData = Uint8Array.from(atob(embedded.weightsBase64), (c) => c.charCodeAt(0)).buffer;
    const model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: embedded.modelTopology,
      weightSpecs: embedded.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData,
    }));
    const outputs = blockOutputs(model).map((layer) => layer.output as tf.SymbolicTensor);
    return new Net(tf.model({ inputs: model.inputs, outputs: [...outputs, model.outputs[0]] }));
  }

  /** The network's decision for one normalised 28×28 image. */
  decide(image: Float32Array): Decision {
    return tf.tidy(() => {
      const results = this.withMaps.predict(tf.tensor4d(image, [1, ...IMAGE_SHAPE])) as tf.Tensor[];
      const logProbabilities = results.pop()!;
      const maps = results.map((t) => {
        const [, height, width, channels] = t.shape as number[];
        return { height, width, channels, values: t.dataSync() as Float32Array };
      });
      return { probabilities: Array.from(tf.exp(logProbabilities).dataSync()), maps };
    });
  }
}

/** The last layer of each convolution block. */
function blockOutputs(model: tf.LayersModel): tf.layers.Layer[] {
  const ends: tf.layers.Layer[] = [];
  let inBlock = false;
  model.layers.forEach((layer, i) => {
    if (layer.getClassName() === 'Conv2d') inBlock = true;
    const next = model.layers[i + 1];
    if (inBlock && (!next || BLOCK_ENDS.has(next.getClassName()))) {
      ends.push(layer);
      inBlock = false;
    }
  });
  return ends;
}
