import * as tf from '@tensorflow/tfjs';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BackendReport } from './backend';
import { saveModel } from './model';
import { History } from './train';

/** What a finished run leaves behind besides its weights: enough to compare and reproduce it. */
export interface RunRecord {
  backend: BackendReport;
  options: object;
  history: History;
}

/** Writes DIR/model.json, DIR/weights.bin and DIR/history.json. Everything goes to a sibling temporary folder first
 *  and is swapped in at the end, so a failure leaves no half-written run behind. */
export async function saveRun(dir: string, model: tf.LayersModel, record: RunRecord): Promise<void> {
  const tmp = join(dirname(dir), `.${Date.now()}-${process.pid}.tmp`);
  mkdirSync(tmp, { recursive: true });
  try {
    await saveModel(model, tmp);
    writeFileSync(join(tmp, 'history.json'), JSON.stringify(record, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
