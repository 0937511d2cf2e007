import { describeBackend, initBackend, isInstalled, missingCudaLibraries, NATIVE_PACKAGES } from '../backend/choose';
import { glibcVersion, missingLibraries } from '../backend/system';
import { describeAdapter, probeAdapter, WEBGPU_PACKAGES, webgpuBlocker } from '../backend/webgpu';
import { defaultSettings, describeShards } from '../run/settings';
import { Command, noArguments } from './command';

/** What stands between `npm install` and native TensorFlow on a GPU today; docs/backends.md says how to
 *  install tfjs-node-gpu from a copy of libtensorflow one already has. Not tested here: no such copy, no CUDA 11. */
const NATIVE_TODAY = [
  'their install script downloads libtensorflow 2.9.1 from storage.googleapis.com, which answers 403 since August 2026',
  '(tensorflow/tfjs#8742); with a copy of that archive, point TFJS_NODE_BASE_URI at it (docs/backends.md)',
];
const CUDA_TODAY = 'tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1, whose builds of TensorFlow carry no code for Hopper ' +
  'GPUs (H100), only PTX for the driver to compile (tensorflow/tensorflow#60739)';

/** `mnist20k doctor`: which backends can load here and which `auto` picks, without training anything. */
export const doctor: Command = {
  usage: '',
  keys: [],
  help: 'which backends load here and which one is chosen',
  async run(argv) {
    noArguments(argv);
    for (const pkg of NATIVE_PACKAGES) console.log(`${pkg}: ${isInstalled(pkg) ? 'installed' : 'not installed'}`);
    if (!NATIVE_PACKAGES.some(isInstalled)) console.log(`  native TensorFlow: ${NATIVE_TODAY.join('\n    ')}`);
    const missing = missingCudaLibraries();
    console.log(`CUDA 11.2 / cuDNN 8.1 libraries for tfjs-node-gpu: ${missing.length ? `missing ${missing.join(', ')}` : 'found'}`);
    console.log(`  ${CUDA_TODAY}`);
    console.log(await webgpuStatus());
    console.log(`wasm: ${isInstalled('@tensorflow/tfjs-backend-wasm') ? 'installed' : 'not installed'}`);
    const report = await initBackend('auto');
    console.log(`chosen by auto -> ${describeBackend(report)}`);
    console.log(`training runs ${describeShards(defaultSettings().shards, report)} (--shards N, --threads N)`);
  },
};

/** The WebGPU rung: its packages, what Dawn needs of the system, and the adapter it offers. */
async function webgpuStatus(): Promise<string> {
  const packages = WEBGPU_PACKAGES.map((p) => `${p} ${isInstalled(p) ? 'installed' : 'not installed'}`).join(', ');
  const glibc = glibcVersion();
  const system = process.platform === 'linux'
    ? [
      `glibc ${glibc ? glibc.join('.') : 'not found'} (Dawn needs 2.34)`,
      `libvulkan.so.1: ${missingLibraries(['libvulkan.so.1']).length ? 'not found' : 'found'}`,
      `VK_ICD_FILENAMES: ${process.env.VK_ICD_FILENAMES || 'unset'}`,
    ].join(', ')
    : process.platform;
  const blocker = webgpuBlocker();
  let adapter = `cannot be asked: ${blocker}`;
  if (!blocker) {
    const probe = await probeAdapter();
    adapter = probe.adapter ? describeAdapter(probe.adapter) : `none: ${probe.problem}`;
  }
  return `WebGPU: ${packages}\n  ${system}\n  adapter: ${adapter}`;
}
