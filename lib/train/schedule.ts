import { Recipe } from './recipe';

/** PyTorch's OneCycleLR defaults: it starts at max_lr / 25 and ends at that / 10⁴. */
const ONECYCLE_DIV = 25;
const ONECYCLE_FINAL_DIV = 1e4;

type ScheduleRecipe = Pick<Recipe, 'lr' | 'lrSchedule' | 'lrStep' | 'lrGamma' | 'lrWarmup' | 'epochs'>;

/** The learning rate of step `step` (0-based, counted over the whole run) with `stepsPerEpoch` steps an epoch:
 *  - step: PyTorch's StepLR, stepped per epoch: lr × lrGamma^⌊epoch / lrStep⌋ (lrStep 0: never);
 *  - onecycle: PyTorch's OneCycleLR with its defaults (cosine annealing, two phases, div_factor 25,
 *    final_div_factor 10⁴), stepped per batch: from lr/25 up to lr over the first lrWarmup of the steps (pct_start),
 *    then down to lr/25/10⁴ at the last step. Momentum is not cycled (cycle_momentum=False): it stays the recipe's;
 *  - constant: lr throughout. */
export function learningRate(recipe: ScheduleRecipe, step: number, stepsPerEpoch: number): number {
  const { lr, lrSchedule, lrStep, lrGamma, lrWarmup, epochs } = recipe;
  if (lrSchedule === 'constant') return lr;
  if (lrSchedule === 'step') return lrStep > 0 ? lr * lrGamma ** Math.floor(Math.floor(step / stepsPerEpoch) / lrStep) : lr;
  // As torch.optim.lr_scheduler.OneCycleLR.get_lr computes it, in float64 as Python does.
  const total = epochs * stepsPerEpoch;
  const initial = lr / ONECYCLE_DIV;
  const phases = [
    { end: lrWarmup * total - 1, from: initial, to: lr },
    { end: total - 1, from: lr, to: initial / ONECYCLE_FINAL_DIV },
  ];
  let start = 0;
  for (const [i, phase] of phases.entries()) {
    if (step <= phase.end || i === phases.length - 1) {
      const pct = (step - start) / (phase.end - start);
      return phase.to + ((phase.from - phase.to) / 2) * (Math.cos(Math.PI * pct) + 1);
    }
    start = phase.end;
  }
  throw new Error('unreachable');
}

/** The rate through the run, for a chart: [epoch as a fraction, rate] at most `points` steps of a one-cycle run
 *  (every step would be thousands), or the first and last step of each epoch of the others, constant within one. */
export function learningRateCurve(recipe: ScheduleRecipe, stepsPerEpoch: number, points = 300): { epoch: number[]; rate: number[] } {
  const total = recipe.epochs * stepsPerEpoch;
  const every = Math.max(1, Math.ceil(total / points));
  const steps = recipe.lrSchedule === 'onecycle'
    ? [...Array(Math.ceil(total / every)).keys()].map((i) => i * every)
    : [...Array(recipe.epochs).keys()].flatMap((e) => [e * stepsPerEpoch, (e + 1) * stepsPerEpoch - 1]);
  if (steps.at(-1) !== total - 1) steps.push(total - 1);
  const unique = [...new Set(steps)];
  return { epoch: unique.map((s) => s / stepsPerEpoch), rate: unique.map((s) => learningRate(recipe, s, stepsPerEpoch)) };
}
