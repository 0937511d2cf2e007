// The page's entry (bundled into dist/lib/views/page/tryIt.js by `npm run build`): the network's own layers from
// lib/model, registered with the page's tfjs so that the embedded model loads as it does in Node, and the widget.
import * as tf from '@tensorflow/tfjs';
import { registerLayers } from '../../model/layers';
import { MountOptions, TryItData } from './data';
import { mount, TryIt } from './widget';

registerLayers();

/** Every widget of the page, for tests and the curious reader's console. */
const widgets: Promise<TryIt>[] = [];

/** tryIt.ts's pages call this once per widget. The cpu backend: exact float32 arithmetic, the same as Node's, and
 *  fast enough for one 28×28 image; WebGL would need a GPU the reader may not have. */
function mountTryIt(root: HTMLElement, data: TryItData, options?: MountOptions): Promise<TryIt> {
  const widget = tf.setBackend('cpu').then(() => mount(root, data, options));
  widgets.push(widget);
  return widget;
}

Object.assign(globalThis, { mnistTryIt: { mount: mountTryIt, widgets } });
