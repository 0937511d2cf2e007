import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { specWeights } from '../model/footprint';
import { defaultSpec, MAX_PARAMS } from '../model/spec';
import { EpochStats, LoopState } from '../train/loop';
import { atomicWrite } from '../util/atomicWrite';
import { readJsonFile } from '../util/readFile';
import { decodeTensors, encodeTensors, NamedTensor, SavedTensor, savedTensorProblem } from './savedTensor';
import { recordedSettingProblem, RunSettings, SETTING_KEYS } from './settings';

export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 'mnist20k-checkpoint/3';
/** Format 2 had no checksums; format 1 also called the shard count `threads`. Both are still read. */
const FORMAT_2 = 'mnist20k-checkpoint/2';
const FORMAT_1 = 'mnist20k-checkpoint/1';
/** The largest checkpoint a network here can make: its weights and momentum (MAX_PARAMS each, 4 bytes a value, in
 *  base64) and room for the rest. Anything larger is no checkpoint of ours and is not read. */
const MAX_BYTES = 2 * MAX_PARAMS * 6 + 2 ** 24;
/** The deepest a checkpoint nests: settings.modelSpec.blocks[i] is 5 levels. */
const MAX_DEPTH = 5;

export interface Checkpoint extends LoopState {
  format: typeof FORMAT;
  settings: RunSettings;
  /** model.getWeights() in order: trainable weights, then BatchNorm's running statistics among them. */
  weights: SavedTensor[];
  /** optimizer.getWeights(): the iteration count, then one momentum accumulator per trainable weight. */
  optimizer: SavedTensor[];
}

/** Writes DIR/checkpoint.json atomically. Refuses, naming the tensor, when a weight or accumulator is NaN or infinite,
 *  so the last good checkpoint stays in place. */
export async function saveCheckpoint(
  dir: string, model: tf.LayersModel, optimizer: tf.Optimizer, settings: RunSettings, state: LoopState,
): Promise<void> {
  const weights = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const optimizerWeights = await optimizer.getWeights();
  const iterations = optimizerWeights[0]?.tensor;
  try {
    const checkpoint: Checkpoint = {
      format: FORMAT,
      ...state,
      settings,
      weights: await encodeTensors(weights, `epoch ${state.epoch}: weight`),
      optimizer: await encodeTensors(optimizerWeights, `epoch ${state.epoch}: optimizer state`),
    };
    atomicWrite(join(dir, CHECKPOINT_FILE), JSON.stringify(checkpoint));
  } finally {
    iterations?.dispose(); // getWeights() makes it afresh; the accumulators are the optimizer's own
  }
}

/** A checkpoint that cannot be continued, whatever is done: going back to it would fail the same way. */
export class CorruptCheckpoint extends Error {}

/** The checkpoint in `dir`, checked through (settings, history, tensors' types, sizes, checksums and values, their
 *  shapes against the network its settings make); undefined when there is none. Whatever it returns can be continued. */
export function readCheckpoint(dir: string): Checkpoint | undefined {
  const file = join(dir, CHECKPOINT_FILE);
  if (!existsSync(file)) return undefined;
  let cp: Checkpoint;
  try {
    cp = readJsonFile(file, 'a checkpoint', { maxBytes: MAX_BYTES, maxDepth: MAX_DEPTH }) as Checkpoint;
  } catch (e) {
    throw new CorruptCheckpoint((e as Error).message);
  }
  const format = cp?.format as string;
  if (format === FORMAT_1 && typeof cp.settings === 'object') {
    const { threads, ...settings } = cp.settings as RunSettings & { threads?: number };
    cp = { ...cp, settings: { ...settings, shards: threads ?? settings.shards } };
  }
  if (format !== FORMAT && format !== FORMAT_2 && format !== FORMAT_1) {
    throw new CorruptCheckpoint(`${file}: not an mnist20k checkpoint (format '${cp?.format}', expected '${FORMAT}')`);
  }
  const problem = checkpointProblem(cp, format === FORMAT);
  if (problem) throw new CorruptCheckpoint(`${file}: corrupt checkpoint: ${problem}`);
  return { ...cp, format: FORMAT };
}

/** Puts a checkpoint's weights into `model` (built with the same settings) and its momentum into `optimizer` (fresh).
 *  A checkpoint that does not fit the network is a CorruptCheckpoint naming the file and the tensor. */
export async function restoreCheckpoint(file: string, cp: Checkpoint, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<void> {
  const [iterations, ...momentum] = decodeTensors(cp.optimizer, file, 'optimizer');
  const weights = decodeTensors(cp.weights, file, 'weights');
  try {
    checkShapes(file, 'weights', 0, weights, model.weights.map((w) => w.shape));
    checkShapes(file, 'optimizer', 1, momentum, model.trainableWeights.map((w) => w.shape));
    model.setWeights(weights.map((w) => w.tensor));
    // Accumulators are matched to variables by position; name them after this model's variables.
    await optimizer.setWeights([iterations, ...momentum.map((m, i) => ({ name: `${model.trainableWeights[i].name}/momentum`, tensor: m.tensor }))]);
  } finally {
    tf.dispose([...weights, iterations, ...momentum].map((w) => w.tensor)); // the variables keep their own references
  }
}

/** `saved` are the tensors `field`[first…]; this network needs one of each `expected` shape, in order. */
function checkShapes(file: string, field: string, first: number, saved: NamedTensor[], expected: tf.Shape[]): void {
  const fail = (what: string): never => {
    throw new CorruptCheckpoint(`${file}: does not fit this network: ${what}`);
  };
  if (saved.length !== expected.length) fail(`${field}: ${saved.length + first} tensors, this network needs ${expected.length + first}`);
  const bad = saved.findIndex((t, i) => t.tensor.shape.join('x') !== expected[i].join('x'));
  if (bad >= 0) fail(`${field}[${bad + first}] (${saved[bad].name}): shape ${saved[bad].tensor.shape.join('x')}, this network needs ${expected[bad].join('x')}`);
}

/** What is wrong with a value, or undefined when it is fine. */
type Check = (value: unknown) => string | undefined;

const check = (ok: (v: unknown) => boolean, expected: string): Check => (v) => (ok(v) ? undefined : `${JSON.stringify(v) ?? 'missing'}, expected ${expected}`);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const positiveInt = check((v) => isInt(v) && v >= 1, 'an integer ≥ 1');

/** Each row of the history holds these, all finite. */
const EPOCH_FIELDS: (keyof EpochStats)[] = ['epoch', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc', 'seconds'];

/** The first thing wrong with a parsed checkpoint, as "field: problem", or undefined; `checksummed`: its tensors must
 *  carry their SHA-256 (formats before 3 had none). */
function checkpointProblem(cp: Checkpoint, checksummed: boolean): string | undefined {
  return first([
    () => field('epoch', positiveInt(cp.epoch)),
    () => field('rngState', check(isInt, 'an integer')(cp.rngState)),
    () => settingsProblem(cp.settings),
    () => field('epoch', cp.epoch > cp.settings.epochs ? `${cp.epoch}, past the run's last epoch (settings.epochs ${cp.settings.epochs})` : undefined),
    () => historyProblem(cp.history, cp.epoch),
    () => tensorsProblem('weights', cp.weights, () => 'float32', checksummed),
    // The optimizer's iteration count (an int32 scalar), then one float32 momentum accumulator per trainable weight.
    () => tensorsProblem('optimizer', cp.optimizer, (i) => (i === 0 ? 'int32' : 'float32'), checksummed),
    () => field('optimizer[0]', cp.optimizer[0].shape.length ? `shape ${cp.optimizer[0].shape.join('x')}, expected a scalar` : undefined),
    () => shapesProblem(cp),
  ]);
}

/** The tensors' shapes against the network the checkpoint's settings make: every weight, then one accumulator per
 *  trainable weight after the iteration count. */
function shapesProblem({ settings, weights, optimizer }: Checkpoint): string | undefined {
  const network = specWeights(settings.modelSpec ?? defaultSpec());
  const trainable = network.filter((w) => w.trainable);
  const fits = (name: string, saved: SavedTensor[], expected: typeof network, first: number): string | undefined => {
    if (saved.length - first !== expected.length) {
      return `${name}: ${saved.length} tensors, the network of its settings needs ${expected.length + first}`;
    }
    const bad = expected.findIndex((w, i) => saved[i + first].shape.join('x') !== w.shape.join('x'));
    return bad < 0 ? undefined : `${name}[${bad + first}] (${saved[bad + first].name}): shape ${saved[bad + first].shape.join('x')}, ` +
      `the network of its settings needs ${expected[bad].shape.join('x')}`;
  };
  return fits('weights', weights, network, 0) ?? fits('optimizer', optimizer, trainable, 1);
}

/** Every setting a run records, checked as its flag would be (lib/run/settings.ts). */
function settingsProblem(settings: RunSettings): string | undefined {
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return 'settings: missing';
  const keys = SETTING_KEYS.filter((k): k is keyof RunSettings => k !== 'out' && k !== 'resume');
  return first(keys.map((key) => () => recordedSettingProblem(key, settings[key], `settings.${key}`)));
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

function tensorsProblem(name: string, tensors: Checkpoint['weights'], dtype: (i: number) => 'float32' | 'int32', checksummed: boolean): string | undefined {
  if (!Array.isArray(tensors) || !tensors.length) return `${name}: ${Array.isArray(tensors) ? 'empty' : 'missing'}`;
  return first(tensors.map((t, i) => () => field(`${name}[${i}]${typeof t?.name === 'string' ? ` (${t.name})` : ''}`, savedTensorProblem(t, dtype(i), checksummed))));
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
