import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { kernelThreads, registerWasmTrainingKernels, setKernelThreads } from './kernels/index';

export { MAX_KERNEL_THREADS } from './kernels/index';
import { firstLine, isInstalled, missingLibraries } from './system';
import { activateWebgpu, adapterName, probeAdapter, swiftShaderHint, webgpuBlocker } from './webgpu';

export { isInstalled } from './system';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** What actually runs, and why the better rungs of the ladder were skipped. */
export interface BackendReport {
  backend: string;
  device: string;
  notes: string[];
  /** The CPU threads the arithmetic runs on: our kernels' threads on wasm, one on cpu; unset where the backend runs
   *  its own way (a GPU, native TensorFlow's thread pool). */
  threads?: number;
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

/** Sets up the best backend allowed by `choice` and reports it. `auto` takes native TensorFlow on a GPU, then WebGPU
 *  on a hardware adapter, then native TensorFlow on the CPU, then wasm, then cpu; it never takes a software WebGPU
 *  adapter, which only an explicit `webgpu` gets. An explicit choice that cannot run throws instead of falling back,
 *  naming `name`, the flag or variable that chose it. On wasm our kernels run on `threads` threads (default: one per
 *  core), which changes the speed and no number. */
export async function initBackend(choice: BackendChoice = 'auto', threads = availableParallelism(), name = '--backend'): Promise<BackendReport> {
  tf.enableProdMode();
  const chosen = (backend: string): string => (name.startsWith('--') ? `${name} ${backend}` : `${name}=${backend}`);
  const notes: string[] = [];
  let nativeOnCpu: BackendReport | undefined;
  if (choice === 'auto' || choice === 'tensorflow') {
    const native = await tryNative(notes);
    if (native && (native.device.startsWith('GPU') || choice === 'tensorflow')) return native;
    if (choice === 'tensorflow') throw new Error(`${chosen('tensorflow')}: ${notes.join('; ')}`);
    nativeOnCpu = native;
  }
  if (choice === 'auto' || choice === 'webgpu') {
    const webgpu = await tryWebgpu(choice === 'webgpu' ? chosen('webgpu') : undefined, notes);
    if (webgpu) return webgpu;
  }
  if (nativeOnCpu) {
    await activate('tensorflow');
    return nativeOnCpu;
  }
  if (choice === 'auto' || choice === 'wasm') {
    try {
      await useWasm();
      setKernelThreads(threads);
      return { backend: 'wasm', device: 'CPU (WebAssembly, SIMD)', notes, threads };
    } catch (e) {
      if (choice === 'wasm') throw new Error(`${chosen('wasm')}: ${firstLine(e)}`);
      notes.push(`wasm: ${firstLine(e)}`);
    }
  }
  await activate('cpu');
  return { backend: 'cpu', device: 'CPU (plain JavaScript)', notes, threads: 1 };
}

export function describeBackend(report: BackendReport): string {
  const skipped = report.notes.length ? `\n  skipped: ${report.notes.join('\n  skipped: ')}` : '';
  return `backend: ${report.backend} on ${report.device}, ${describeThreads(report)}${skipped}`;
}

/** Where the arithmetic runs: "8 threads", the WebGPU adapter, or native TensorFlow's own threads. */
export function describeThreads({ backend, threads = 1 }: Pick<BackendReport, 'backend' | 'threads'>): string {
  if (backend === 'webgpu') return 'the WebGPU adapter';
  if (backend === 'tensorflow') return 'TensorFlow\'s own threads';
  return `${threads} thread${threads > 1 ? 's' : ''}`;
}

/** The CPU threads the active backend computes on now (as BackendReport.threads), for a run's record. */
export function activeThreads(): number | undefined {
  const backend = tf.getBackend();
  return backend === 'wasm' ? kernelThreads() : backend === 'cpu' ? 1 : undefined;
}

async function tryNative(notes: string[]): Promise<BackendReport | undefined> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      require(pkg);
    } catch (e) {
      notes.push(`${pkg}: ${isNotInstalled(e, pkg) ? 'not installed (npm cannot install it while its libtensorflow download answers 403: see mnist20k doctor)' : firstLine(e)}`);
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

/** WebGPU on the adapter Dawn offers: for `auto` only a hardware one; asked for `explicit`ly (by the flag or variable
 *  it names), a software one too (said so in the report), and a failure throws with the reason. */
async function tryWebgpu(explicit: string | undefined, notes: string[]): Promise<BackendReport | undefined> {
  const skip = (reason: string): undefined => {
    if (explicit) throw new Error(`${explicit}: ${reason}`);
    notes.push(`webgpu: ${reason}`);
    return undefined;
  };
  const blocker = webgpuBlocker();
  if (blocker) return skip(blocker);
  const { adapter, problem } = await probeAdapter();
  if (!adapter) return skip(`${problem}${explicit ? swiftShaderHint() : ''}`);
  if (adapter.software && !explicit) {
    return skip(`only a software adapter, ${adapterName(adapter)}, a CPU emulating a GPU: auto never takes one (--backend webgpu does)`);
  }
  try {
    const active = await activateWebgpu();
    const device = active.software ? `a software adapter, ${adapterName(active)}: a CPU emulating a GPU, slow` : `GPU ${adapterName(active)}`;
    return { backend: 'webgpu', device: `${device} (WebGPU through Dawn)`, notes };
  } catch (e) {
    return skip(firstLine(e));
  }
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
  return missingLibraries(CUDA_LIBRARIES);
}

function isNotInstalled(e: unknown, pkg: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${pkg}'`);
}
