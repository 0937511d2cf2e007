import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../lib/util/paths';
import { findJupyter } from '../../lib/cli/jupyter';
import { KernelName, KERNELS, registerKernel } from '../../lib/cli/kernelSpecs';
import { loadModel } from '../../lib/model/saved';
import { drawnTraces, launch, screenshot, watchErrors } from './browser';
import { assertDecidesAsNode } from './tryItPage';

/** The notebook runs in a copy of the project's layout, so Jupyter's autosave never touches the committed notebook. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mnist20k-jupyter-'));
  mkdirSync(join(dir, 'notebooks'));
  copyFileSync(join(ROOT, 'notebooks', 'S6_net1.ts.ipynb'), join(dir, 'notebooks', 'S6_net1.ts.ipynb'));
  for (const link of ['dist', 'node_modules']) symlinkSync(join(ROOT, link), join(dir, link));
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// Scripts run in the page, against Jupyter Notebook's own front-end API.
const KERNEL_CONNECTED = 'window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()';
const RESTART_AND_RUN_ALL = 'Jupyter.notebook.clear_all_output(); Jupyter.notebook.restart_run_all({ confirm: false })';
const ALL_CELLS_RAN = `(() => {
  const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code');
  return cells.every((c) => !c.element.hasClass('running')) && cells[cells.length - 1].output_area.outputs.length > 0;
})()`;
/** The epoch lines the training cell printed, without their seconds. */
const EPOCH_LINES = `Jupyter.notebook.get_cells().flatMap((c) => (c.output_area ? c.output_area.outputs : []))
  .flatMap((o) => String((o.data && o.data['text/plain']) || o.text || '').split('\\n'))
  .filter((l) => /^epoch +\\d+: train/.test(l)).map((l) => l.replace(/\\| [\\d.]+ s$/, ''))`;
const RUN_FIRST_CELLS_AGAIN = 'Jupyter.notebook.execute_cells([1, 3, 5])';
const ERROR_OUTPUTS = `Jupyter.notebook.get_cells().flatMap((c) => (c.output_area ? c.output_area.outputs : [])
  .filter((o) => o.output_type === 'error' || o.name === 'stderr').map((o) => JSON.stringify(o).slice(0, 300)))`;

/** A Jupyter Notebook server on loopback that sees only the project's spec of `kernel` (as `npm run notebook` with
 *  MNIST_KERNEL does): the notebook records tslab, and with only Deno's spec Jupyter takes the one TypeScript kernel. */
async function startServer(kernel: KernelName): Promise<{ server: ChildProcess; url: string; runDir: string }> {
  /** The run folder the notebook saves its model in. */
  const runDir = mkdtempSync(join(tmpdir(), 'mnist20k-nb-out-'));
  const port = await freePort();
  const token = Math.random().toString(36).slice(2);
  const env = {
    ...process.env, JUPYTER_PATH: registerKernel(kernel), MNIST_EPOCHS: '2', MNIST_TRAIN_SAMPLES: '1000', MNIST_TEST_SAMPLES: '400',
    MNIST_BACKEND: 'wasm', MNIST_IMAGES_DIR: mkdtempSync(join(tmpdir(), 'mnist20k-images-')),
    MNIST_OUT: runDir, // not the project's runs/notebook, which may hold a real run
  };
  const server = spawn(findJupyter(), ['notebook', '--no-browser', '--allow-root', '--ip=127.0.0.1', `--port=${port}`,
    `--NotebookApp.token=${token}`, `--notebook-dir=${workspace()}`], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/notebooks/notebooks/S6_net1.ts.ipynb?token=${token}`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/api?token=${token}`).then((r) => r.ok, () => false);
    if (up) return { server, url, runDir };
    await new Promise((r) => setTimeout(r, 300));
  }
  server.kill();
  throw new Error('Jupyter Notebook did not start on loopback');
}

for (const kernel of KERNELS) {
  test(`in Jupyter Notebook with the ${kernel} kernel, Restart & Run All runs every cell without error, draws the charts, and repeats itself`,
    () => restartAndRunAll(kernel));
}

async function restartAndRunAll(kernel: KernelName): Promise<void> {
  const { server, url, runDir } = await startServer(kernel);
  const browser = await launch();
  try {
    // Tall enough that the screenshot shows the whole notebook: Jupyter scrolls inside the page, not the page itself.
    const page = await browser.newPage({ viewport: { width: 1280, height: 9000 } });
    const errors = watchErrors(page);
    await page.goto(url);
    await page.waitForFunction(KERNEL_CONNECTED, null, { timeout: 60000 });
    assert.equal(await page.evaluate('Jupyter.notebook.kernel.name'), kernel);
    await page.evaluate(RESTART_AND_RUN_ALL);
    await page.waitForFunction(ALL_CELLS_RAN, null, { timeout: 300000 });
    assert.deepEqual(await page.evaluate(ERROR_OUTPUTS), []);
    await page.locator('.js-plotly-plot').nth(3).waitFor({ timeout: 30000 }); // the live chart made way for the curves cell's
    const drawn = await drawnTraces(page);
    assert.ok(drawn.lines >= 4 && drawn.heatmaps >= 21, `drawn: ${JSON.stringify(drawn)}`);
    assert.match(await page.locator('#notebook').innerText(), /best test accuracy:/);
    await assertDecidesAsNode(page, await loadModel(runDir));
    await screenshot(page, `notebook-${kernel}.png`);
    assert.deepEqual(errors, []);

    const first = await page.evaluate(EPOCH_LINES) as string[];
    assert.equal(first.length, 2, `epoch lines: ${JSON.stringify(first)}`);
    await page.evaluate(RESTART_AND_RUN_ALL);
    await page.waitForFunction(ALL_CELLS_RAN, null, { timeout: 300000 });
    assert.deepEqual(await page.evaluate(EPOCH_LINES), first, 'the same numbers after Restart & Run All');
    await page.evaluate(RUN_FIRST_CELLS_AGAIN); // imports, backend set-up, data, model: a second time in one kernel
    await page.waitForFunction(ALL_CELLS_RAN, null, { timeout: 60000 });
    assert.deepEqual(await page.evaluate(ERROR_OUTPUTS), []);
  } finally {
    await browser.close();
    server.kill();
  }
}
