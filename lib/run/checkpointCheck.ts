import { BACKEND_CHOICES } from '../backend/choose';
import type { EpochStats } from '../train/loop';
import type { Checkpoint, RunSettings } from './checkpoint';
import { savedTensorProblem } from './savedTensor';

/** What is wrong with a value, or undefined when it is fine. */
type Check = (value: unknown) => string | undefined;

const check = (ok: (v: unknown) => boolean, expected: string): Check => (v) => (ok(v) ? undefined : `${JSON.stringify(v) ?? 'missing'}, expected ${expected}`);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const positiveInt = check((v) => isInt(v) && v >= 1, 'an integer ≥ 1');
const nonNegativeInt = check((v) => isInt(v) && v >= 0, 'an integer ≥ 0');
const positive = check((v) => isFinite(v) && v > 0, 'a number > 0');
const optional = (inner: Check): Check => (v) => (v === undefined ? undefined : inner(v));

/** Every setting of a run and what it must be; the optional ones are absent for "all images", "the packaged data". */
const SETTINGS: Record<keyof RunSettings, Check> = {
  epochs: positiveInt,
  batchSize: positiveInt,
  lr: positive,
  lrStep: nonNegativeInt,
  lrGamma: positive,
  momentum: check((v) => isFinite(v) && v >= 0 && v < 1, 'a number from 0 to below 1'),
  seed: nonNegativeInt,
  trainSamples: optional(positiveInt),
  testSamples: optional(positiveInt),
  dataDir: optional(check((v) => typeof v === 'string' && v !== '', 'a folder')),
  backend: check((v) => (BACKEND_CHOICES as readonly unknown[]).includes(v), `one of ${BACKEND_CHOICES.join(', ')}`),
  threads: positiveInt,
};

/** Each row of the history holds these, all finite. */
const EPOCH_FIELDS: (keyof EpochStats)[] = ['epoch', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc', 'seconds'];

/** The first thing wrong with a parsed checkpoint, as "field: problem", or undefined. Shapes are left to the restore,
 *  which knows the network. */
export function checkpointProblem(cp: Checkpoint): string | undefined {
  return first([
    () => field('epoch', positiveInt(cp.epoch)),
    () => field('rngState', check(isInt, 'an integer')(cp.rngState)),
    () => settingsProblem(cp.settings),
    () => historyProblem(cp.history, cp.epoch),
    () => tensorsProblem('weights', cp.weights, () => 'float32'),
    // The optimizer's iteration count (an int32 scalar), then one float32 momentum accumulator per trainable weight.
    () => tensorsProblem('optimizer', cp.optimizer, (i) => (i === 0 ? 'int32' : 'float32')),
    () => field('optimizer[0]', cp.optimizer[0].shape.length ? `shape ${cp.optimizer[0].shape.join('x')}, expected a scalar` : undefined),
  ]);
}

function settingsProblem(settings: RunSettings): string | undefined {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return 'settings: missing';
  const values = settings as unknown as Record<string, unknown>;
  return first(Object.entries(SETTINGS).map(([key, ok]) => () => field(`settings.${key}`, ok(values[key]))));
}

function historyProblem(history: EpochStats[], epochs: number): string | undefined {
  if (!Array.isArray(history)) return 'history: missing';
  if (history.length !== epochs) return `history: holds ${history.length} epochs, expected ${epochs} (the checkpoint's epoch)`;
  return first(history.map((row, i) => () => {
    if (typeof row !== 'object' || row === null) return field(`history[${i}]`, `${JSON.stringify(row)}, expected an epoch's numbers`);
    const values = row as unknown as Record<string, unknown>;
    return first([
      ...EPOCH_FIELDS.map((key) => () => field(`history[${i}].${key}`, check(isFinite, 'a finite number')(values[key]))),
      () => field(`history[${i}].epoch`, row.epoch === i + 1 ? undefined : `${row.epoch}, expected ${i + 1}`),
    ]);
  }));
}

function tensorsProblem(name: string, tensors: Checkpoint['weights'], dtype: (i: number) => 'float32' | 'int32'): string | undefined {
  if (!Array.isArray(tensors) || !tensors.length) return `${name}: ${Array.isArray(tensors) ? 'empty' : 'missing'}`;
  return first(tensors.map((t, i) => () => field(`${name}[${i}]${typeof t?.name === 'string' ? ` (${t.name})` : ''}`, savedTensorProblem(t, dtype(i)))));
}

function field(name: string, problem: string | undefined): string | undefined {
  return problem && `${name}: ${problem}`;
}

/** The first problem found, checking in order and stopping there (later checks may rely on earlier ones). */
function first(checks: (() => string | undefined)[]): string | undefined {
  for (const c of checks) {
    const problem = c();
    if (problem) return problem;
  }
  return undefined;
}
