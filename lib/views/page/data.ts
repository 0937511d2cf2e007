// What Node hands the page's widget (lib/views/tryIt.ts writes it, main.ts reads it): types only, so both sides
// compile it.

/** A trained model as tf.io.fromMemory takes it, the weights' bytes in base64. */
export interface EmbeddedModel {
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightsBase64: string;
}

export interface TryItData {
  model: EmbeddedModel;
  /** Test digits the reader can pick instead of drawing: 28×28 pixels 0–255 each, and their labels. */
  strip: { pixels: number[][]; labels: number[] };
}

export interface MountOptions {
  /** Paint this digit of the strip at once: the worked example of the PNG shown without JavaScript. */
  example?: number;
}
