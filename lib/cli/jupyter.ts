import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { envOf, notebookSettings } from '../run/settings';
import { ROOT } from '../util/paths';
import { numberCodeCells, printedBy } from './executedNotebook';
import { kernelFromEnv, registerKernel } from './kernelSpecs';
import { watchRun } from './watchRun';

/** `npm start`: executes the notebook headless through Jupyter with the project's own kernel (MNIST_KERNEL: tslab, the
 *  default, or deno; lib/cli/kernelSpecs.ts), and writes
 *  reports/S6_net1.ts.ipynb (executed) and reports/S6_net1.html; a full default run refreshes images/, any other
 *  writes its pictures to reports/images/ (lib/views/notebook.ts: picturesDir). */
const NOTEBOOK = join(ROOT, 'notebooks', 'S6_net1.ts.ipynb');
const REPORTS = join(ROOT, 'reports');
const INSTALL_HINT =
  'Jupyter is missing: install it (Debian/Ubuntu: sudo apt-get install -y jupyter-notebook jupyter-nbconvert python3-nbconvert; ' +
  'elsewhere: pip install notebook nbconvert), or set JUPYTER to its jupyter command';

export async function main(): Promise<number> {
  try {
    const user = { ...process.env, ...userPaths(process.env) };
    const { settings } = notebookSettings(user); // a bad MNIST_* variable fails here, in one line, before Jupyter starts
    const kernel = kernelFromEnv();
    const jupyter = findJupyter();
    const env = { ...user, JUPYTER_PATH: registerKernel(kernel) };
    const work = mkdtempSync(join(ROOT, 'reports.tmp-'));
    const executed = join(work, 'S6_net1.ts.ipynb');
    try {
      console.log(`running ${relative(ROOT, NOTEBOOK)} in Jupyter (${kernel} kernel): ${settings.epochs} epoch${settings.epochs > 1 ? 's' : ''} into ${settings.out}, a line as each ends`);
      const watch = watchRun(resolve(ROOT, settings.out));
      try {
        await nbconvert(jupyter, env, ['--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=-1',
          `--ExecutePreprocessor.kernel_name=${kernel}`, '--output-dir', work, '--output', 'S6_net1.ts.ipynb', NOTEBOOK]);
      } finally {
        watch.stop();
      }
      numberCodeCells(executed);
      await nbconvert(jupyter, env, ['--to', 'html', '--output-dir', work, '--output', 'S6_net1', executed]);
      console.log(`\n${printedBy(executed, 'headline(') ?? '(the notebook printed no headline)'}`);
      mkdirSync(REPORTS, { recursive: true });
      for (const f of ['S6_net1.ts.ipynb', 'S6_net1.html']) renameSync(join(work, f), join(REPORTS, f));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    console.log(`report: ${join('reports', 'S6_net1.html')} (executed notebook: ${join('reports', 'S6_net1.ts.ipynb')})`);
    return 0;
  } catch (e) {
    console.error(`npm start: ${(e as Error).message}`);
    return 1;
  }
}

/** The files and folders MNIST_MODEL_SPEC and MNIST_DATA_DIR name, made absolute: the kernel runs in notebooks/, and
 *  `MNIST_MODEL_SPEC=specs/under-8k.json npm start` means the file where the user typed it (npm's INIT_CWD). */
export function userPaths(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const from = env.INIT_CWD ?? process.cwd();
  const named = [envOf('modelSpec'), envOf('dataDir')].filter((name) => env[name]);
  return Object.fromEntries(named.map((name) => [name, resolve(from, env[name]!)]));
}

/** JUPYTER if set, else `jupyter` on PATH, else Debian's; each must have nbconvert. */
export function findJupyter(): string {
  const candidates = process.env.JUPYTER ? [process.env.JUPYTER] : ['jupyter', '/usr/bin/jupyter'];
  const found = candidates.find((cmd) => spawnSync(cmd, ['nbconvert', '--version'], { encoding: 'utf8' }).status === 0);
  if (!found) throw new Error(INSTALL_HINT);
  return found;
}

/** Runs `jupyter nbconvert`, its log on stderr; nbconvert writes nothing else to the terminal. */
function nbconvert(jupyter: string, env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  const child = spawn(jupyter, ['nbconvert', ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`jupyter nbconvert ${args[1]} failed (exit ${code ?? signal})`))));
  });
}

/** `npm run notebook`: Jupyter Notebook on the notebook, with the project's kernel (MNIST_KERNEL). */
export function serve(): number {
  try {
    const env = { ...process.env, ...userPaths(process.env), JUPYTER_PATH: registerKernel(kernelFromEnv()) };
    const r = spawnSync(findJupyter(), ['notebook', NOTEBOOK], { env, stdio: 'inherit' });
    return r.status ?? 1;
  } catch (e) {
    console.error(`npm run notebook: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  if (process.argv[2] === 'serve') process.exitCode = serve();
  else void main().then((code) => (process.exitCode = code));
}
