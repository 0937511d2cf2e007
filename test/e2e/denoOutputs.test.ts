import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { registerKernel } from '../../lib/cli/kernelSpecs';
import { ROOT } from '../../lib/util/paths';
import { Kernel } from './kernel';

// Deno's kernel (2.9) says a cell is done without waiting for the outputs it has queued; a front end then drops them
// (without lib/views/denoOutput.ts, 23 of these 200 arrived). Many outputs sent at the very end of a cell show it
// every time, where the notebook shows it now and then.
test('under Deno\'s kernel, every output a cell sends arrives before the kernel says the cell is done', async () => {
  const kernel = await Kernel.start('deno', join(ROOT, 'notebooks'), { ...process.env, JUPYTER_PATH: registerKernel('deno') });
  try {
    const shown = await kernel.execute(
      "import { showHtml } from '../dist/lib/views/display';\nfor (let i = 0; i < 200; i++) showHtml(`<b>${i}</b>`, String(i));");
    assert.equal(shown.status, 'ok', shown.error ?? '');
    assert.deepEqual(shown.displays.map((d) => d['text/plain']), Array.from({ length: 200 }, (_, i) => String(i)));

    const printed = await kernel.execute("for (let i = 0; i < 200; i++) console.log(i);");
    assert.equal(printed.stdout, Array.from({ length: 200 }, (_, i) => `${i}\n`).join(''));
  } finally {
    await kernel.shutdown();
  }
});
