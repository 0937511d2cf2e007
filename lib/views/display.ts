import { randomBytes } from 'node:crypto';
import { Bundle, writeDisplayData } from './kernelOutput';
import { Figure } from './plots';
import { plotlyBundle, renderPng } from './render';

/** plotly's own MIME type, a figure's `{data, layout}`: JupyterLab with plotly's extension and VS Code draw it natively. */
const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** display_data, or update_display_data for an output named by its transient display_id, to the kernel running us. */
function write(data: Bundle, displayId?: string, update = false): void {
  writeDisplayData({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
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

/** A chart for every viewer: plotly's MIME type where the front end draws it natively, interactive HTML where
 *  JavaScript runs (Jupyter Notebook, the HTML report), a PNG where it does not (GitHub), and the PNG itself. */
async function chartBundle(figure: Figure): Promise<{ bundle: Bundle; png?: Buffer }> {
  const png = await renderPng(figure);
  const bundle = {
    [PLOTLY_MIME]: figure,
    'text/html': figureHtml(figure, png),
    ...(png ? { 'image/png': png.toString('base64') } : {}),
    'text/plain': 'chart',
  };
  return { bundle, png };
}

/** Shows a chart (see chartBundle). Returns the PNG, if Chromium made one. */
export async function showFigure(figure: Figure): Promise<Buffer | undefined> {
  const { bundle, png } = await chartBundle(figure);
  write(bundle);
  return png;
}

export function showHtml(html: string, text = ''): void {
  write({ 'text/html': html, 'text/plain': text });
}

/** HTML with the PNG that viewers without JavaScript show instead (GitHub), and text. */
export function showHtmlAndPng(html: string, png: Buffer | undefined, text: string): void {
  write({ 'text/html': html, ...(png ? { 'image/png': png.toString('base64') } : {}), 'text/plain': text });
}

/** One output that later calls overwrite: a progress line, or a chart that grows as epochs finish. Updates go out in
 *  the order they are asked for, a chart once its PNG is drawn. */
export class LiveDisplay {
  private readonly id = randomBytes(8).toString('hex');
  private shown = false;
  private sending: Promise<void> = Promise.resolve();

  text(s: string): void {
    this.send(async () => ({ 'text/plain': s }));
  }

  figure(f: Figure): void {
    this.send(async () => (await chartBundle(f)).bundle);
  }

  /** Resolves when every update asked for so far is out; rejects if one failed (no PNG could be drawn). */
  settled(): Promise<void> {
    return this.sending;
  }

  private send(bundle: () => Promise<Bundle>): void {
    this.sending = this.sending.then(async () => {
      write(await bundle(), this.id, this.shown);
      this.shown = true;
    });
    this.sending.catch(() => undefined); // a failure is reported by settled(), not as an unhandled rejection
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
