import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelName, registerKernel } from '../../lib/cli/kernelSpecs';
import { Checkpoint } from '../../lib/run/checkpoint';
import { History } from '../../lib/train/loop';
import { ROOT } from '../../lib/util/paths';
import { Execution, Kernel } from './kernel';

const NOTEBOOK = join(ROOT, 'notebooks', 'S6_net1.ts.ipynb');

function codeCells(): string[] {
  const nb = JSON.parse(readFileSync(NOTEBOOK, 'utf8')) as { cells: { cell_type: string; source: string[] }[] };
  return nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));
}

const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** The notebook's cells up to training in `kernel`, then the training cell, interrupted once its first checkpoint is
 *  written; checks the cell ends with the notice and one line saying how to go on, that the kernel answers the next
 *  cell, and that the training cell, run again, continues from the checkpoint. Returns the kernel, still running. */
async function interruptTraining(kernelName: KernelName, out: string): Promise<Kernel> {
  const env = {
    ...process.env, JUPYTER_PATH: registerKernel(kernelName), MNIST_EPOCHS: '3', MNIST_TRAIN_SAMPLES: '3000', MNIST_TEST_SAMPLES: '300',
    MNIST_BACKEND: 'wasm', MNIST_OUT: out, MNIST_IMAGES_DIR: mkdtempSync(join(tmpdir(), 'mnist20k-images-')),
  };
  const cells = codeCells();
  const training = cells.findIndex((c) => c.includes('trainLive('));
  const kernel = await Kernel.start(kernelName, join(ROOT, 'notebooks'), env);
  try {
    // Up to training as the notebook runs them: the data cell draws charts, so Chromium is running as it would be.
    for (const cell of cells.slice(0, training)) assert.equal((await kernel.execute(cell)).status, 'ok', cell);
    let ended = false;
    const running = kernel.execute(cells[training]).finally(() => (ended = true));
    await until(() => ended || existsSync(join(out, 'checkpoint.json')));
    assert.equal(ended, false, 'training ended before its first checkpoint');
    await kernel.interrupt();
    const stopped = await running;
    const checkpoint = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')) as Checkpoint;

    assert.equal(stopped.status, 'error', 'the cell ends as failed, so Run All stops there');
    assert.ok(checkpoint.epoch < 3, `stopped before the last epoch (checkpoint of epoch ${checkpoint.epoch})`);
    const lines = cellErrorLines(stopped);
    assert.equal(lines[0], `Interrupt: stopping after this batch${kernelName === 'tslab' ? ' (interrupt again to end the cell at once)' : ''}`);
    assert.match(lines[1], new RegExp(`^Interrupted (at epoch \\d+, batch \\d+ of 24|after epoch \\d+); the checkpoint of epoch ` +
      `${checkpoint.epoch} is in ${literal(out)}: run this cell again to continue from it, or delete ${literal(out)} and run the cells from "The network" on to start over.$`));
    assert.equal(lines.length, 2, `one line to end the cell, no stack trace: ${JSON.stringify(stopped)}`);

    // tslab aborts, as queued behind the failed cell, what reaches it within 200 ms of an error; a person takes longer.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const trivial = await kernel.execute('console.log(1 + 1)');
    assert.deepEqual([trivial.status, trivial.stdout], ['ok', '2\n'], 'the kernel answers the next cell');

    const again = await kernel.execute(cells[training]);
    assert.equal(again.status, 'ok', again.stderr);
    const history = JSON.parse((await kernel.execute('console.log(JSON.stringify(run.history))')).stdout) as History;
    assert.deepEqual(history.map((s) => s.epoch), [1, 2, 3]);
    assert.deepEqual(history.slice(0, checkpoint.epoch), checkpoint.history, 'the epochs before the Interrupt were not trained again');
    return kernel;
  } catch (e) {
    await kernel.shutdown();
    throw e;
  }
}

/** The notice and the line the cell ended with: tslab prints a cell's error on stderr; Deno's kernel sends it as the
 *  cell's error output (its message alone: the error's name is "Error"). */
function cellErrorLines(e: Execution): string[] {
  return [...e.stderr.trim().split('\n'), ...(e.error === null ? [] : [e.error])].filter((l) => l !== '');
}

test('tslab: Jupyter\'s Interrupt stops training after the batch; the kernel stays usable and the cell, run again, continues from the checkpoint; other cells are interrupted as tslab does', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mnist20k-interrupt-'));
  const kernel = await interruptTraining('tslab', out);
  try {
    // Any other cell: tslab ends it at once, and the kernel, which has Chromium open for the charts' PNGs, lives on.
    const started = join(out, 'waiting');
    let ended = false;
    const waiting = kernel.execute(`require('fs').writeFileSync(${JSON.stringify(started)}, ''); await new Promise((r) => setTimeout(r, 600000));`)
      .finally(() => (ended = true));
    await until(() => ended || existsSync(started));
    await kernel.interrupt();
    assert.match((await waiting).stderr, /Interrupted asynchronously/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal((await kernel.execute('console.log(run.history.length)')).stdout, '3\n');
  } finally {
    await kernel.shutdown();
  }
});

test('Deno: Jupyter\'s Interrupt stops training after the batch; the kernel stays usable and the cell, run again, continues from the checkpoint', async () => {
  const kernel = await interruptTraining('deno', mkdtempSync(join(tmpdir(), 'mnist20k-interrupt-')));
  await kernel.shutdown();
});
