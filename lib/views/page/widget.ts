import { mnistFromDrawing } from '../../data/drawing';
import { IMAGE_SIZE, normalise } from '../../data/pixels';
import { MountOptions, TryItData } from './data';
import { Decision, Net } from './net';
import { Pad } from './pad';
import { Bars, element, greyCanvas, mapGrid } from './pictures';

/** The "Try it" widget: the pad, the 28×28 input the network sees, its ten probabilities, a strip of test digits to
 *  pick from, and the convolution blocks' maps of the current input. */
export class TryIt {
  /** What the network was last given (normalised 28×28) and what it answered; undefined while the pad is blank. */
  input?: Float32Array;
  decision?: Decision;
  readonly pad = new Pad(() => this.schedule());
  private readonly seen = element('div', 'seen');
  private readonly bars = new Bars();
  private readonly maps = element('div', 'all-maps');
  private scheduled = false;

  constructor(root: HTMLElement, readonly net: Net, data: TryItData) {
    const clear = element('button', 'clear', 'Clear');
    clear.addEventListener('click', () => {
      this.pad.clear();
      this.update();
    });
    const padColumn = element('div', 'column-pad');
    padColumn.append(this.pad.canvas, clear);
    const seenColumn = element('div', 'column-seen');
    seenColumn.append(element('div', 'caption', 'what the network sees (28×28)'), this.seen);
    const top = element('div', 'row');
    top.append(padColumn, seenColumn, this.bars.element);
    const strip = element('div', 'strip');
    strip.append(element('span', 'caption', 'or pick a test digit: '));
    data.strip.pixels.forEach((pixels, i) => {
      const digit = greyCanvas(pixels, IMAGE_SIZE, IMAGE_SIZE, 1.5);
      digit.title = `test digit, label ${data.strip.labels[i]}`;
      digit.addEventListener('click', () => this.show(pixels));
      strip.append(digit);
    });
    root.replaceChildren(top, strip, element('div', 'caption', 'what the network saw: each convolution block\'s maps'), this.maps);
    this.update();
  }

  /** Paints a 28×28 digit onto the pad, as if drawn, and shows the network's answer. */
  show(pixels: ArrayLike<number>): void {
    this.pad.clear();
    this.pad.paint(pixels);
    this.update();
  }

  /** Runs the pad's drawing through the preprocessing and the network, and shows both. */
  update(): void {
    const digit = mnistFromDrawing(this.pad.grey(), this.pad.canvas.width, this.pad.canvas.height);
    const blank = digit.every((v) => v === 0);
    this.input = blank ? undefined : normalise(digit);
    this.decision = this.input && this.net.decide(this.input);
    this.seen.replaceChildren(greyCanvas(digit, IMAGE_SIZE, IMAGE_SIZE, 4));
    this.bars.show(this.decision?.probabilities);
    this.maps.replaceChildren(...(this.decision?.maps ?? []).map((m, i) => mapGrid(m, `block ${i + 1}`)));
  }

  /** One update per frame however fast the pointer moves. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.update();
    });
  }
}

export async function mount(root: HTMLElement, data: TryItData, options: MountOptions = {}): Promise<TryIt> {
  const widget = new TryIt(root, await Net.load(data.model), data);
  if (options.example !== undefined) widget.show(data.strip.pixels[options.example]);
  root.dataset.ready = 'true';
  return widget;
}
