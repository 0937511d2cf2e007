import { join } from 'node:path';
import { BackendChoice, backendFromEnv } from '../backend/choose';
import { DEFAULTS } from '../train/loop';

/** What the notebook runs, from environment variables so that CI and tests run a quick version of the same notebook;
 *  without them, the full experiment. */
export interface NotebookConfig {
  epochs: number;
  trainSamples?: number;
  testSamples?: number;
  backend: BackendChoice;
  seed: number;
  batchSize: number;
  lr: number;
  lrStep: number;
  lrGamma: number;
  momentum: number;
  /** MNIST_THREADS: shards per batch, each on its own thread; unset, the backend's default (lib/trainer.ts). */
  threads?: number;
  /** Where the trained model and its history are saved, relative to the project's root (MNIST_OUT; default
   *  runs/notebook, git-ignored). Kept relative so the notebook's outputs name no machine path. */
  out: string;
  /** MNIST_RESUME=1: continue the checkpoint in `out` instead of starting afresh. */
  resume: boolean;
}

export function notebookConfig(env: NodeJS.ProcessEnv = process.env): NotebookConfig {
  return {
    epochs: envInt(env, 'MNIST_EPOCHS', 1) ?? DEFAULTS.epochs,
    trainSamples: envInt(env, 'MNIST_TRAIN_SAMPLES', 1),
    testSamples: envInt(env, 'MNIST_TEST_SAMPLES', 1),
    backend: backendFromEnv(env),
    seed: envInt(env, 'MNIST_SEED', 0) ?? DEFAULTS.seed,
    batchSize: DEFAULTS.batchSize,
    lr: DEFAULTS.lr,
    lrStep: DEFAULTS.lrStep,
    lrGamma: DEFAULTS.lrGamma,
    momentum: DEFAULTS.momentum,
    threads: envInt(env, 'MNIST_THREADS', 1),
    out: env.MNIST_OUT || join('runs', 'notebook'),
    resume: envSwitch(env, 'MNIST_RESUME'),
  };
}

function envSwitch(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name] ?? '';
  if (!['', '0', '1'].includes(value)) throw new Error(`${name}: expected 1 or 0, got '${value}'`);
  return value === '1';
}

function envInt(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new Error(`${name}: expected an integer ≥ ${min}, got '${value}'`);
  }
  return Number(value);
}
