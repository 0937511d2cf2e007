import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { registerWasmTrainingKernels } from './kernels/index';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** What actually runs, and why the better rungs of the ladder were skipped. */
export interface BackendReport {
  backend: string;
  device: string;
  notes: string[];
}

/** tfjs-node(-gpu) attaches these to its backend object. */
interface NativeBackend {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
/** tfjs-node-gpu 4.x is built against these; without them TensorFlow silently runs on the CPU. */
const CUDA_LIBRARIES = ['libcudart.so.11.0', 'libcudnn.so.8'];

export function parseBackendChoice(value: string, source: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source}: unknown backend '${value}' (expected one of ${BACKEND_CHOICES.join(', ')})`);
}

/** Sets up the best backend allowed by `choice` (auto: tensorflow, then wasm, then cpu) and reports it.
 *  An explicit choice that cannot run throws instead of falling back. */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendReport> {
  tf.enableProdMode();
  const notes: string[] = [];
  if (choice === 'auto' || choice === 'tensorflow') {
    const native = await tryNative(notes);
    if (native) return native;
    if (choice === 'tensorflow') throw new Error(`--backend tensorflow: ${notes.join('; ')}`);
  }
  if (choice === 'auto' || choice === 'wasm') {
    try {
      await useWasm();
      return { backend: 'wasm', device: 'CPU (WebAssembly, SIMD)', notes };
    } catch (e) {
      if (choice === 'wasm') throw new Error(`--backend wasm: ${firstLine(e)}`);
      notes.push(`wasm: ${firstLine(e)}`);
    }
  }
  await activate('cpu');
  return { backend: 'cpu', device: 'CPU (plain JavaScript)', notes };
}

export function describeBackend(report: BackendReport): string {
  const skipped = report.notes.length ? `\n  skipped: ${report.notes.join('\n  skipped: ')}` : '';
  return `backend: ${report.backend} on ${report.device}${skipped}`;
}

async function tryNative(notes: string[]): Promise<BackendReport | undefined> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      require(pkg);
    } catch (e) {
      notes.push(`${pkg}: ${isNotInstalled(e, pkg) ? 'not installed (its TensorFlow binary could not be downloaded)' : firstLine(e)}`);
      continue;
    }
    await activate('tensorflow');
    const native = tf.backend() as unknown as NativeBackend;
    if (native.isUsingGpuDevice) return { backend: 'tensorflow', device: 'GPU (CUDA)', notes };
    if (native.isGPUPackage) notes.push(`${pkg}: no usable GPU (${missingCudaLibraries().join(', ') || 'no CUDA device'}), runs on CPU`);
    return { backend: 'tensorflow', device: 'CPU (native TensorFlow)', notes };
  }
  return undefined;
}

async function useWasm(): Promise<void> {
  require('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  await activate('wasm');
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** CUDA/cuDNN libraries that the dynamic loader cannot find (used by `doctor` and the GPU note). */
export function missingCudaLibraries(): string[] {
  let cache = '';
  try {
    cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
  } catch {
    // no ldconfig: fall back to LD_LIBRARY_PATH only
  }
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return CUDA_LIBRARIES.filter(
    (lib) => !cache.includes(lib) && !dirs.some((d) => existsSync(`${d}/${lib}`)),
  );
}

/** Whether a package can be found from here (without loading it). */
export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

function isNotInstalled(e: unknown, pkg: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${pkg}'`);
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}
