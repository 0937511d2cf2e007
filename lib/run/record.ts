import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { BackendReport } from '../backend/choose';
import { atomicWrite } from '../util/atomicWrite';
import { saveModel } from '../model/net';
import { History } from '../train/loop';

/** What a finished run leaves behind besides its weights: enough to compare and reproduce it. */
export interface RunRecord {
  backend: BackendReport;
  options: object;
  history: History;
}

/** Writes DIR/model.json, DIR/weights.bin and DIR/history.json, each replaced atomically, so a reader never sees half
 *  a file; the run's checkpoint and lock in the same folder stay. */
export async function saveRun(dir: string, model: tf.LayersModel, record: RunRecord): Promise<void> {
  await saveModel(model, dir);
  atomicWrite(join(dir, 'history.json'), JSON.stringify(record, null, 2) + '\n');
}
