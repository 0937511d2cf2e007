import { dirname, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { findRunRecords } from '../run/record';
import { atomicWrite } from '../util/atomicWrite';
import { makeFolders, removeIfEmpty } from '../util/folders';
import { compareFigure, compareTable } from '../views/compare';
import { figurePage } from '../views/display';
import { closeRenderer, renderPng } from '../views/render';
import { Command } from './command';

const DEFAULT_OUT = 'runs/compare.png';

/** `mnist20k compare`: finished runs side by side, as a table and as one chart of test accuracy per epoch. */
export const compare: Command = {
  usage: 'DIR|FILE… [--out FILE]',
  keys: [],
  help: 'runs side by side (run folders, history files, or folders of them): a table, and a chart of test accuracy\n' +
    `per epoch written to --out (.png, drawn in Chromium, or .html; default ${DEFAULT_OUT})`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string' } }, allowPositionals: true, strict: true });
    const out = values.out ?? DEFAULT_OUT;
    const format = extname(out).toLowerCase();
    if (!positionals.length) throw new Error('expected at least one run folder or history file');
    if (format !== '.png' && format !== '.html') throw new Error(`--out ${out}: expected a .png or .html file`);
    const runs = findRunRecords(positionals);
    // The chart's folder first: a folder that cannot be made fails before anything is shown or drawn.
    const created = makeFolders(dirname(out), `--out ${out}: its folder`);
    try {
      console.log(compareTable(runs));
      const figure = compareFigure(runs);
      atomicWrite(out, format === '.html' ? figurePage(figure, 'mnist20k compare') : await png(figure, out));
    } catch (e) {
      removeIfEmpty(created);
      throw e;
    }
    console.log(`chart: ${out}`);
  },
};

async function png(figure: Parameters<typeof renderPng>[0], out: string): Promise<Uint8Array> {
  try {
    const image = await renderPng(figure);
    if (!image) throw new Error(`--out ${out}: no Chromium found to draw a PNG (set CHROMIUM_PATH, or write --out FILE.html)`);
    return image;
  } finally {
    await closeRenderer();
  }
}
