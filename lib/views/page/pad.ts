import { IMAGE_SIZE } from '../../data/pixels';

/** Canvas pixels per MNIST pixel: a 280×280 pad, on which a test digit painted at this scale is as large as a
 *  drawn one. */
export const PAD_SCALE = 10;
/** The pen's width in canvas pixels: a digit drawn across most of the pad is scaled by about 1/10 to fit 20×20, which
 *  makes this MNIST's strokes of 2–3 pixels. */
const PEN_WIDTH = 22;

/** The canvas the reader draws on, white on black, with mouse, touch or pen (pointer events); `onChange` after each
 *  stroke segment. */
export class Pad {
  readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;
  private last?: { x: number; y: number };

  constructor(private readonly onChange: () => void) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = this.canvas.height = IMAGE_SIZE * PAD_SCALE;
    this.canvas.className = 'pad';
    // willReadFrequently: every change is read back for the network, which a GPU-backed canvas makes slow.
    this.context = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    this.canvas.addEventListener('pointerdown', (e) => {
      this.canvas.setPointerCapture(e.pointerId);
      this.last = this.at(e);
      this.strokeTo(this.last);
    });
    this.canvas.addEventListener('pointermove', (e) => this.last && this.strokeTo(this.at(e)));
    const end = () => { this.last = undefined; };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.context.fillStyle = 'black';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Paints a 28×28 digit (pixels 0–255) over the whole pad, smoothed as the browser scales any image. */
  paint(pixels: ArrayLike<number>): void {
    const small = document.createElement('canvas');
    small.width = small.height = IMAGE_SIZE;
    const image = small.getContext('2d')!.createImageData(IMAGE_SIZE, IMAGE_SIZE);
    for (let i = 0; i < pixels.length; i++) {
      image.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
    }
    small.getContext('2d')!.putImageData(image, 0, 0);
    this.context.imageSmoothingEnabled = true;
    this.context.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
  }

  /** The pad's grey levels, row by row (the red channel of white on black). */
  grey(): Uint8Array {
    const { data } = this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
    return Uint8Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]);
  }

  /** A pointer's position in canvas pixels, however large CSS shows the canvas. */
  private at(e: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - rect.left) * this.canvas.width) / rect.width,
      y: ((e.clientY - rect.top) * this.canvas.height) / rect.height,
    };
  }

  private strokeTo(to: { x: number; y: number }): void {
    const c = this.context;
    c.strokeStyle = 'white';
    c.lineWidth = PEN_WIDTH;
    c.lineCap = c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(this.last!.x, this.last!.y);
    c.lineTo(to.x, to.y);
    c.stroke();
    this.last = to;
    this.onChange();
  }
}
