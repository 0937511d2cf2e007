import { randomBytes } from 'node:crypto';
import { Figure } from './plots';
import { plotlyBundle, renderPng } from './render';

/** A Jupyter display_data bundle: one entry per MIME type; the viewer shows the richest it can. */
type Bundle = Record<string, string>;
type WriteDisplayData = (message: { data: Bundle; metadata: object; transient: { display_id?: string } }, update: boolean) => void;

/** tslab's public `display` sends one MIME type per output; a chart needs two (interactive HTML and a PNG for viewers
 *  that run no JavaScript), so we send the bundle through the kernel's own writer. */
function write(data: Bundle, displayId?: string, update = false): void {
  const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: WriteDisplayData | null };
  if (!jupyter.lastWriteDisplayData) throw new Error('display: not running inside the tslab kernel');
  jupyter.lastWriteDisplayData({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
}

/** Puts plotly.js into the page once, for every chart of the notebook (and of its exported HTML) to use. Jupyter's
 *  pages load require.js, which would make plotly's bundle register as an AMD module instead of window.Plotly, so
 *  `define` is hidden while the bundle runs. */
export function showPlotlyLibrary(): void {
  const html = [
    '<script type="text/javascript">window.__define = window.define; window.define = undefined;</script>',
    `<script type="text/javascript">${plotlyBundle()}</script>`,
    '<script type="text/javascript">window.define = window.__define;</script>',
  ].join('\n');
  write({ 'text/html': html, 'text/plain': 'plotly.js loaded' });
}

/** HTML that draws the figure once plotly.js is on the page; `fallbackPng` shows until then, or forever without JS. */
export function figureHtml(figure: Figure, fallbackPng?: Buffer): string {
  const id = `plot-${randomBytes(6).toString('hex')}`;
  const img = fallbackPng ? `<img src="data:image/png;base64,${fallbackPng.toString('base64')}" alt="chart">` : '';
  const json = JSON.stringify(figure).replace(/</g, '\\u003c');
  return `<div id="${id}">${img}</div>
<script type="text/javascript">(function draw() {
  if (!window.Plotly) return setTimeout(draw, 50);
  var el = document.getElementById("${id}"); el.innerHTML = "";
  var f = ${json}; window.Plotly.newPlot(el, f.data, f.layout, {responsive: true, displaylogo: false});
})();</script>`;
}

/** Shows a chart: interactive where JavaScript runs, a PNG where it does not. Returns the PNG, if Chromium made one. */
export async function showFigure(figure: Figure): Promise<Buffer | undefined> {
  const png = await renderPng(figure);
  write({ 'text/html': figureHtml(figure, png), ...(png ? { 'image/png': png.toString('base64') } : {}), 'text/plain': 'chart' });
  return png;
}

export function showHtml(html: string, text = ''): void {
  write({ 'text/html': html, 'text/plain': text });
}

/** One output that later calls overwrite: a progress line, or a chart that grows as epochs finish. */
export class LiveDisplay {
  private readonly id = randomBytes(8).toString('hex');
  private shown = false;

  text(s: string): void {
    this.send({ 'text/plain': s });
  }

  figure(f: Figure): void {
    this.send({ 'text/html': figureHtml(f), 'text/plain': 'chart' });
  }

  private send(data: Bundle): void {
    write(data, this.id, this.shown);
    this.shown = true;
  }
}

/** A page of its own that draws the figure offline: plotly.js inside it, the figure's PNG-free HTML after it. */
export function figurePage(figure: Figure, title: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>\n` +
    `<script type="text/javascript">${plotlyBundle()}</script></head>\n<body>\n${figureHtml(figure)}\n</body></html>\n`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
