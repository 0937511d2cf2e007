import { describeBackend, initBackend, isInstalled, missingCudaLibraries, NATIVE_PACKAGES } from '../backend/choose';
import { Command, noArguments } from './command';

/** `mnist20k doctor`: which backends can load here and which `auto` picks, without training anything. */
export const doctor: Command = {
  usage: '',
  keys: [],
  help: 'which backends load here and which one is chosen',
  async run(argv) {
    noArguments(argv);
    for (const pkg of NATIVE_PACKAGES) console.log(`${pkg}: ${isInstalled(pkg) ? 'installed' : 'not installed'}`);
    const missing = missingCudaLibraries();
    console.log(`CUDA 11.2 / cuDNN 8.1 libraries for tfjs-node-gpu: ${missing.length ? `missing ${missing.join(', ')}` : 'found'}`);
    console.log(`wasm: ${isInstalled('@tensorflow/tfjs-backend-wasm') ? 'installed' : 'not installed'}`);
    console.log(`chosen by auto -> ${describeBackend(await initBackend('auto'))}`);
  },
};
