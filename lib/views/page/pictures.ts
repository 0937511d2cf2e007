import { Maps } from './net';

/** A greyscale picture of `values` (row by row, `width` wide), black at their minimum and white at their maximum,
 *  shown `zoom` times larger with its pixels sharp. */
export function greyCanvas(values: ArrayLike<number>, width: number, height: number, zoom: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${width * zoom}px`;
  canvas.style.height = `${height * zoom}px`;
  canvas.style.imageRendering = 'pixelated';
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = 0; i < values.length; i++) [lo, hi] = [Math.min(lo, values[i]), Math.max(hi, values[i])];
  const range = hi > lo ? hi - lo : 1;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(((values[i] - lo) / range) * 255);
    image.data.set([v, v, v, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

/** One block's maps, one small picture per channel. */
export function mapGrid(maps: Maps, title: string): HTMLElement {
  const { height, width, channels, values } = maps;
  const zoom = Math.max(1, Math.floor(56 / Math.max(height, width)));
  const row = element('div', 'maps');
  row.append(element('div', 'maps-title', `${title}: ${channels} maps of ${height}×${width}`));
  const grid = element('div', 'maps-grid');
  for (let c = 0; c < channels; c++) {
    const channel = Float32Array.from({ length: height * width }, (_, i) => values[i * channels + c]);
    grid.append(greyCanvas(channel, width, height, zoom));
  }
  row.append(grid);
  return row;
}

/** The ten classes' probabilities as bars, the most probable class in large type beside them. */
export class Bars {
  readonly element = element('div', 'decision');
  private readonly top = element('div', 'top');
  private readonly topProbability = element('div', 'top-probability');
  private readonly bars: HTMLElement[] = [];
  private readonly values: HTMLElement[] = [];

  constructor() {
    const chart = element('div', 'bars');
    for (let d = 0; d < 10; d++) {
      const column = element('div', 'column');
      const track = element('div', 'track');
      const bar = element('div', 'bar');
      const value = element('div', 'value');
      track.append(bar);
      column.append(value, track, element('div', 'digit', String(d)));
      chart.append(column);
      this.bars.push(bar);
      this.values.push(value);
    }
    const best = element('div', 'best-class');
    best.append(this.top, this.topProbability);
    this.element.append(best, chart);
    this.show(undefined);
  }

  /** Shows the probabilities, or empties the chart (nothing drawn). */
  show(probabilities: number[] | undefined): void {
    const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
    this.top.textContent = probabilities ? String(best) : '–';
    this.topProbability.textContent = probabilities ? `${(probabilities[best] * 100).toFixed(1)} %` : 'draw a digit';
    this.bars.forEach((bar, d) => {
      const p = probabilities?.[d] ?? 0;
      bar.style.height = `${p * 100}%`;
      bar.classList.toggle('best', d === best);
      this.values[d].textContent = probabilities ? `${Math.round(p * 100)}` : '';
    });
  }
}

export function element(tag: string, className: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
