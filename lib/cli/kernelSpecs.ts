import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../util/paths';

/** The kernels the notebook runs under: tslab (Node.js) and Deno's own (`deno jupyter`); docs/notebook.md compares them. */
export const KERNELS = ['tslab', 'deno'] as const;
export type KernelName = (typeof KERNELS)[number];

/** MNIST_KERNEL, tslab when unset. */
export function kernelFromEnv(env: NodeJS.ProcessEnv = process.env): KernelName {
  const value = env.MNIST_KERNEL || 'tslab';
  if (!(KERNELS as readonly string[]).includes(value)) throw new Error(`MNIST_KERNEL: expected ${KERNELS.join(' or ')}, got '${value}'`);
  return value as KernelName;
}

/** Writes the project's own spec of `kernel`, pointing at this checkout's tslab or Deno, into a folder of the
 *  project's that only our Jupyter runs see (returned, for JUPYTER_PATH): kernels installed on the machine are left
 *  alone. Each kernel has a folder of its own, so that Jupyter Notebook, finding no spec of the notebook's recorded
 *  kernel (tslab) under MNIST_KERNEL=deno, takes the one TypeScript kernel it has. */
export function registerKernel(kernel: KernelName = 'tslab'): string {
  const home = join(ROOT, '.jupyter', kernel);
  const dir = join(home, 'kernels', kernel);
  const spec = kernel === 'tslab' ? tslabSpec() : denoSpec();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify({ ...spec, language: 'typescript' }, null, 2) + '\n');
  return home;
}

function tslabSpec(): { argv: string[]; display_name: string } {
  const tslab = join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab');
  if (!existsSync(tslab)) throw new Error(`${tslab}: missing; run npm install first`);
  return { argv: [process.execPath, tslab, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript' };
}

/** `dist/` is CommonJS with extensionless imports: Deno loads it with --unstable-detect-cjs and --sloppy-imports. */
function denoSpec(): { argv: string[]; display_name: string } {
  const argv = ['jupyter', '--kernel', '--conn', '{connection_file}', '--unstable-detect-cjs', '--sloppy-imports'];
  return { argv: [denoBinary(), ...argv], display_name: 'TypeScript (Deno)' };
}

/** The binary of the optional dependency `deno`, through the package's own finder (its install script, which would
 *  do the same at install time, is not run: package.json allowScripts). */
export function denoBinary(): string {
  try {
    return (require('deno/install_api.cjs') as { runInstall(): string }).runInstall();
  } catch (e) {
    throw new Error(`MNIST_KERNEL=deno: Deno is not installed (deno is an optional dependency, which npm did not install here: ${(e as Error).message.split('\n')[0]})`);
  }
}
