/** The training recipe: everything that shapes the numbers of a run, besides the data and the backend. The run's
 *  settings (lib/run/settings.ts) extend it with where the data come from and where the run is written, and give each
 *  field its default, flag and environment variable. */
export interface Recipe {
  epochs: number;
  batchSize: number;
  lr: number;
  /** Step schedule, as PyTorch's StepLR: the learning rate is multiplied by lrGamma every lrStep epochs (0: never). */
  lrStep: number;
  lrGamma: number;
  momentum: number;
  /** Seeds the weights, each epoch's order, each step's dropout masks and rotations. */
  seed: number;
  /** Rotate each training image at random (lib/data/augment.ts) before it is trained on. */
  augment: boolean;
  /** Slices of each batch, each with its own BatchNorm statistics (as PyTorch's DistributedDataParallel has them): they
   *  change the numbers, so they are part of the recipe. How many threads compute them only changes the speed. */
  shards: number;
}

/** The learning rate of epoch `epoch` (1-based) under the step schedule. */
export function learningRate({ lr, lrStep, lrGamma }: Pick<Recipe, 'lr' | 'lrStep' | 'lrGamma'>, epoch: number): number {
  return lrStep > 0 ? lr * lrGamma ** Math.floor((epoch - 1) / lrStep) : lr;
}
