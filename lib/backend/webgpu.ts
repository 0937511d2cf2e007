/** WebGPU from npm alone: Dawn's Node bindings (the package `webgpu`, prebuilt, ESM) under tfjs-backend-webgpu.
 *  Both are optional dependencies; this file says why they cannot run when they cannot. */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerWebgpuTrainingKernels } from './gpuKernels/index';
import { firstLine, glibcVersion, isInstalled, missingLibraries, olderThan } from './system';

export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;
/** Dawn's prebuilt binary in `webgpu` 0.6 needs glibc 2.34 symbols, and loads Vulkan at run time on Linux. */
const MIN_GLIBC = [2, 34];
const VULKAN_LOADER = 'libvulkan.so.1';
/** Debian's chromium package ships SwiftShader, a Vulkan driver that runs on the CPU: a software adapter for Dawn
 *  where there is no GPU (Mesa's lavapipe lacks a Vulkan feature Dawn requires). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const PROBE_TIMEOUT_MS = 60_000;

/** The adapter Dawn offers, as GPUAdapterInfo describes it; `software` for a CPU posing as a GPU. */
export interface Adapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  software: boolean;
}

/** What we use of a WebGPU implementation (the package's own types are not there when it is not installed). */
interface Gpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<{ info?: Partial<Adapter> & { isFallbackAdapter?: boolean } } | null>;
}

let gpu: Gpu | undefined;

/** Why WebGPU cannot be tried on this machine, found without loading it; undefined when it can. */
export function webgpuBlocker(): string | undefined {
  const missing = WEBGPU_PACKAGES.filter((p) => !isInstalled(p));
  if (missing.length) return `${missing.join(' and ')} not installed (optional dependencies)`;
  if (process.platform !== 'linux') return undefined;
  const glibc = glibcVersion();
  if (glibc && olderThan(glibc, MIN_GLIBC)) return `glibc ${glibc.join('.')} is older than the ${MIN_GLIBC.join('.')} that Dawn's prebuilt binary needs`;
  if (missingLibraries([VULKAN_LOADER]).length) return `${VULKAN_LOADER} not found (the Vulkan loader: Debian/Ubuntu package libvulkan1)`;
  return undefined;
}

/** The adapter Dawn offers, asked in a child process (lib/backend/webgpuProbe.ts): Dawn writes its Vulkan warnings
 *  straight to the process's stderr, and a machine without a usable adapter should not get them on every run. When
 *  there is no adapter, `problem` says why, from those warnings. */
export function probeAdapter(): Promise<{ adapter?: Adapter; problem?: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(__dirname, 'webgpuProbe.js')], { timeout: PROBE_TIMEOUT_MS }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let answer: { adapter?: Adapter | null; error?: string } = {};
      try {
        answer = JSON.parse(line);
      } catch {
        return resolve({ problem: `the adapter probe failed (${error ? firstLine(error) : 'no answer'})${dawnSays(stderr)}` });
      }
      if (answer.adapter) return resolve({ adapter: answer.adapter });
      resolve({ problem: `${answer.error ?? 'no WebGPU adapter'}${dawnSays(stderr)}` });
    });
  });
}

/** The adapter Dawn gives this process (high-performance preference, as tfjs-backend-webgpu asks), or undefined. */
export async function requestAdapter(): Promise<Adapter | undefined> {
  const adapter = await (await dawn()).requestAdapter({ powerPreference: 'high-performance' });
  return adapter ? toAdapter(adapter.info ?? {}) : undefined;
}

/** GPUAdapterInfo as we report it. Software is what the adapter says of itself (isFallbackAdapter, set for Vulkan's
 *  CPU devices) or what its names give away. */
export function toAdapter(info: Partial<Adapter> & { isFallbackAdapter?: boolean }): Adapter {
  const fields = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
  const software = Boolean(info.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe|softpipe/i.test(Object.values(fields).join(' '));
  return { ...fields, software };
}

/** Makes tfjs's webgpu backend the active one, on the adapter requestAdapter() gives, and returns that adapter. */
export async function activateWebgpu(): Promise<Adapter> {
  const adapter = await requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const global = globalThis as { navigator?: { gpu?: Gpu } };
  global.navigator ??= {};
  global.navigator.gpu = await dawn();
  // The package registers its backend on loading, and only when navigator.gpu is there.
  require('@tensorflow/tfjs-backend-webgpu');
  registerWebgpuTrainingKernels();
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu failed to initialise');
  await tf.ready();
  if (adapter.software) {
    // Measured on SwiftShader: shaders that share workgroup memory and wait at barriers (tfjs's default convolution)
    // run many times slower there than im2col followed by the packed matrix product. On a real GPU the defaults stay.
    tf.env().set('WEBGPU_CONV_SEPARATE_IM2COL_SHADER', true);
    tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', 3); // MatMulProgramType.MatMulPackedProgram
  }
  return adapter;
}

/** "google swiftshader (SwiftShader driver 5.0.0)": vendor, architecture and description, as GPUAdapterInfo has them. */
export function adapterName(a: Adapter): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || a.device || 'an unnamed adapter';
  return `${name}${a.description ? ` (${a.description})` : ''}`;
}

/** The adapter's name, and whether it is hardware or software. */
export function describeAdapter(a: Adapter): string {
  return `${adapterName(a)}, ${a.software ? 'software: a CPU emulating a GPU' : 'hardware'}`;
}

/** Dawn's instance, created once per process. `webgpu` is an ES module: a plain import() here would be compiled to
 *  require() (module commonjs), which cannot load it, so the import is built at run time. */
async function dawn(): Promise<Gpu> {
  if (!gpu) {
    const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{
      create(flags: string[]): Gpu;
      globals: object;
    }>;
    const { create, globals } = await importModule(pathToFileURL(require.resolve('webgpu')).href);
    Object.assign(globalThis, globals); // GPUBufferUsage and friends, which tfjs-backend-webgpu takes from the global scope
    gpu = create([]);
  }
  return gpu;
}

/** Dawn's first warnings, e.g. "Vulkan shaderUniform*ArrayDynamicIndexing required" (Mesa's lavapipe) or
 *  "vkCreateInstance: Found no drivers!". */
function dawnSays(stderr: string): string {
  const warnings = [...new Set(stderr.split('\n').filter((l) => l.startsWith('Warning: ')).map((l) => l.slice(9).trim()))];
  return warnings.length ? ` (Dawn: ${warnings.slice(0, 2).join('; ')})` : '';
}

/** Where no Vulkan driver was chosen by hand and chromium's SwiftShader is there, how to get a software adapter. */
export function swiftShaderHint(): string {
  if (process.env.VK_ICD_FILENAMES || !existsSync(SWIFTSHADER_ICD)) return '';
  return `; for a software adapter, set VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`;
}
