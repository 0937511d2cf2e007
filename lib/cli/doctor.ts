import { describeBackend, initBackend, isInstalled, missingCudaLibraries, NATIVE_PACKAGES } from '../backend/choose';

/** Says which backends can load here and which `auto` picks, without training anything. */
export async function doctor(argv: string[]): Promise<void> {
  if (argv.length) throw new Error(`unexpected argument '${argv[0]}'`);
  for (const pkg of NATIVE_PACKAGES) console.log(`${pkg}: ${isInstalled(pkg) ? 'installed' : 'not installed'}`);
  const missing = missingCudaLibraries();
  console.log(`CUDA 11.2 / cuDNN 8.1 libraries for tfjs-node-gpu: ${missing.length ? `missing ${missing.join(', ')}` : 'found'}`);
  console.log(`wasm: ${isInstalled('@tensorflow/tfjs-backend-wasm') ? 'installed' : 'not installed'}`);
  console.log(`chosen by auto -> ${describeBackend(await initBackend('auto'))}`);
}
