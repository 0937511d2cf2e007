import * as tf from '@tensorflow/tfjs';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digit, MnistSplit } from '../data/mnist';
import { showHtmlAndPng } from './display';
import { MountOptions, TryItData } from './page/data';
import { renderHtmlPng } from './render';

// The notebook's "Try it" cell: the trained network in the page (lib/views/page/, bundled at build time), the
// reader drawing a digit and watching it decide.

/** The trained model, with its weights, as the page loads it, and one test digit of each class to pick from. */
export async function tryItData(model: tf.LayersModel, test: MnistSplit): Promise<TryItData> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const weights = tf.io.CompositeArrayBuffer.join(saved!.weightData!);
  const firsts = Array.from({ length: 10 }, (_, label) => test.labels.indexOf(label)).filter((i) => i >= 0);
  return {
    model: {
      modelTopology: saved!.modelTopology as object,
      weightSpecs: saved!.weightSpecs!,
      weightsBase64: Buffer.from(weights).toString('base64'),
    },
    strip: { pixels: firsts.map((i) => Array.from(digit(test, i))), labels: firsts.map((i) => test.labels[i]) },
  };
}

/** TensorFlow.js's browser build (1.4 MB) and the widget's bundle, inline so that a report opened from disk works
 *  offline. Jupyter's pages load require.js, under which tfjs would register as an AMD module instead of window.tf,
 *  so `define` is hidden while they run (as for plotly.js, display.ts). */
export function tryItLibraries(): string {
  const tfjs = readFileSync(require.resolve('@tensorflow/tfjs/dist/tf.min.js'), 'utf8');
  const widget = readFileSync(join(__dirname, 'page', 'tryIt.js'), 'utf8');
  return [
    '<script type="text/javascript">window.__define = window.define; window.define = undefined;</script>',
    `<script type="text/javascript">${tfjs}</script>`,
    `<script type="text/javascript">${widget}</script>`,
    '<script type="text/javascript">window.define = window.__define;</script>',
    `<style>${STYLE}</style>`,
  ].join('\n');
}

/** One widget, once tryItLibraries() are on the page; `fallbackPng` shows where JavaScript does not run. */
export function tryItWidget(data: TryItData, options: MountOptions = {}, fallbackPng?: Buffer): string {
  const id = `try-it-${randomBytes(6).toString('hex')}`;
  const img = fallbackPng ? `<img src="data:image/png;base64,${fallbackPng.toString('base64')}" alt="the Try it widget">` : '';
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<div class="try-it" id="${id}">${img}</div>
<script type="text/javascript">window.mnistTryIt.mount(document.getElementById("${id}"), ${json}, ${JSON.stringify(options)});</script>`;
}

/** The page the PNG is drawn from: the empty widget above, a worked example (the strip's first digit) below. */
function fallbackPage(data: TryItData): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">${tryItLibraries()}</head><body>
<div id="try-it-png" style="display: inline-block; padding: 8px; background: white">
${tryItWidget(data)}
<p class="try-it-note">Worked example: a test digit labelled ${data.strip.labels[0]}</p>
${tryItWidget(data, { example: 0 })}
</div>
<script type="text/javascript">Promise.all(window.mnistTryIt.widgets).then(function () {
  document.getElementById("try-it-png").dataset.ready = "true";
});</script></body></html>`;
}

/** The "Try it" cell: the widget where JavaScript runs, its PNG (empty and with a worked example) where it does not. */
export async function showTryIt(model: tf.LayersModel, test: MnistSplit): Promise<void> {
  const data = await tryItData(model, test);
  const png = await renderHtmlPng(fallbackPage(data), '#try-it-png[data-ready]');
  const text = 'Try it: draw a digit and watch the trained network decide (needs JavaScript: Jupyter Notebook or the HTML report)';
  showHtmlAndPng(`${tryItLibraries()}\n${tryItWidget(data, {}, png)}`, png, text);
}

const STYLE = `
.try-it-note { font-family: sans-serif; font-size: 13px; }
.try-it { font-family: sans-serif; font-size: 13px; color: #222; }
.try-it .row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.try-it .column-pad { display: flex; flex-direction: column; gap: 6px; align-items: flex-start; }
.try-it .pad { width: 280px; height: 280px; touch-action: none; cursor: crosshair; border: 1px solid #888; }
.try-it .caption { color: #555; margin: 4px 0; }
.try-it .seen canvas { border: 1px solid #888; }
.try-it .decision { display: flex; gap: 16px; align-items: flex-end; }
.try-it .best-class { text-align: center; min-width: 80px; }
.try-it .top { font-size: 96px; line-height: 1; }
.try-it .top-probability { color: #555; }
.try-it .bars { display: flex; gap: 4px; height: 180px; align-items: stretch; }
.try-it .column { display: flex; flex-direction: column; align-items: center; width: 22px; }
.try-it .track { flex: 1; width: 100%; display: flex; align-items: flex-end; background: #f0f0f0; }
.try-it .bar { width: 100%; background: #9ab; }
.try-it .bar.best { background: #1f77b4; }
.try-it .value { font-size: 10px; height: 14px; color: #555; }
.try-it .strip { margin: 10px 0; display: flex; gap: 4px; align-items: center; flex-wrap: wrap; }
.try-it .strip canvas { cursor: pointer; border: 1px solid #ccc; }
.try-it .maps { margin: 6px 0; }
.try-it .maps-grid { display: flex; flex-wrap: wrap; gap: 3px; }
`;
