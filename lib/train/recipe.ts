/** The learning-rate schedules a recipe may name (lib/train/schedule.ts). */
export const LR_SCHEDULES = ['step', 'onecycle', 'constant'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/** The training recipe: everything that shapes the numbers of a run, besides the data and the backend. The run's
 *  settings (lib/run/settings.ts) extend it with where the data come from and where the run is written, and give each
 *  field its default, flag and environment variable. */
export interface Recipe {
  epochs: number;
  batchSize: number;
  /** The learning rate; under onecycle, the peak rate (PyTorch's max_lr). */
  lr: number;
  /** How the rate changes through the run (lib/train/schedule.ts). */
  lrSchedule: LrSchedule;
  /** Step schedule, as PyTorch's StepLR: the learning rate is multiplied by lrGamma every lrStep epochs (0: never). */
  lrStep: number;
  lrGamma: number;
  /** One-cycle schedule: the fraction of the steps spent rising to lr (PyTorch's pct_start). */
  lrWarmup: number;
  momentum: number;
  /** Seeds the weights, each epoch's order, each step's dropout masks and rotations. */
  seed: number;
  /** Rotate each training image at random (lib/data/augment.ts) before it is trained on. */
  augment: boolean;
  /** Slices of each batch, each with its own BatchNorm statistics (as PyTorch's DistributedDataParallel has them): they
   *  change the numbers, so they are part of the recipe. How many threads compute them only changes the speed. */
  shards: number;
}
