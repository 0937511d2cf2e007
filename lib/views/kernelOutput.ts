import { denoKernel, denoWriteDisplayData, outputsDelivered as denoOutputsDelivered } from './denoOutput';

/** A Jupyter display_data bundle: one entry per MIME type, the viewer shows the richest it can. Values are strings,
 *  base64 for images, or JSON for JSON types such as plotly's. */
export type Bundle = Record<string, unknown>;

/** display_data (or update_display_data, for an output named by its transient display_id), as both kernels take it. */
export interface DisplayMessage {
  data: Bundle;
  metadata: object;
  transient: { display_id?: string };
}

type WriteDisplayData = (message: DisplayMessage, update: boolean) => void;

/** Sends a display message through the kernel that runs this cell: Deno's (`deno jupyter`) or tslab's. tslab's public
 *  `display` sends one MIME type per output; a chart needs several, so for tslab the bundle goes through the kernel's
 *  own writer. */
export function writeDisplayData(message: DisplayMessage, update: boolean): void {
  if (denoKernel()) return denoWriteDisplayData(message, update);
  const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: WriteDisplayData | null };
  if (!jupyter.lastWriteDisplayData) throw new Error('display: not running inside the tslab kernel or Deno\'s');
  jupyter.lastWriteDisplayData(message, update);
}

/** Resolves once the cell's outputs so far have left the kernel. tslab writes them at once; Deno's kernel sends them
 *  later (see denoOutput.ts). A cell that ends with an error awaits this before it throws. */
export function outputsDelivered(): Promise<void> {
  return denoKernel() ? denoOutputsDelivered() : Promise.resolve();
}
