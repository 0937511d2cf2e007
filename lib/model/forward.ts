import * as tf from '@tensorflow/tfjs';
import { BatchNorm2d } from './batchnorm';
import { Dropout2d } from './layers';

/** The model's output in training mode, as model.apply(x, { training: true }) computes it, except that each
 *  ReLU → BatchNorm2d (→ Dropout2d) of a Sequential model runs as one op where our fused kernels run (wasm): one
 *  kernel call each way instead of four, and the same numbers to the bit (test/unit/forward.test.ts). */
export function applyTraining(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  if (!(model instanceof tf.Sequential)) return model.apply(x, { training: true }) as tf.Tensor;
  const layers = model.layers;
  let y = x;
  for (let i = 0; i < layers.length; i++) {
    const [layer, next, after] = [layers[i], layers[i + 1], layers[i + 2]];
    if (isPlainRelu(layer) && next instanceof BatchNorm2d && next.fusesWith(y)) {
      const dropout = after instanceof Dropout2d ? after : undefined;
      y = next.applyAfterRelu(y as tf.Tensor4D, dropout && dropout.rate > 0 ? dropout.drawMask : undefined);
      i += dropout ? 2 : 1;
    } else {
      y = layer.apply(y, { training: true }) as tf.Tensor;
    }
  }
  return y;
}

/** tfjs-layers' ReLU without a cap (max(x, 0), which our kernels apply). */
function isPlainRelu(layer: tf.layers.Layer): boolean {
  return layer.getClassName() === 'ReLU' && layer.getConfig().maxValue == null;
}
