import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendReport } from '../backend/choose';
import { saveModel } from '../model/saved';
import { History } from '../train/loop';
import { atomicWrite } from '../util/atomicWrite';
import { RunSettings } from './settings';

export const RECORD_FILE = 'history.json';
export const RECORD_FORMAT = 'mnist20k-run/1';

/** DIR/history.json: what a finished run leaves behind besides its weights, enough to compare and reproduce it. */
export interface RunRecord {
  format: typeof RECORD_FORMAT;
  settings: RunSettings;
  backend: BackendReport;
  history: History;
}

/** Writes DIR/model.json, DIR/weights.bin and DIR/history.json, each replaced atomically, so a reader never sees half
 *  a file; the run's checkpoint and lock in the same folder stay. */
export async function saveRun(dir: string, model: tf.LayersModel, record: Omit<RunRecord, 'format'>): Promise<void> {
  await saveModel(model, dir);
  atomicWrite(join(dir, RECORD_FILE), JSON.stringify({ format: RECORD_FORMAT, ...record }, null, 2) + '\n');
}

/** A run record read back (`compare`, tests), checked enough that a reader can rely on its shape. */
export function readRunRecord(file: string): RunRecord {
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON file (${(e as Error).message})`);
  }
  if (record?.format !== RECORD_FORMAT) throw new Error(`${file}: not an mnist20k run record (format '${record?.format}', expected '${RECORD_FORMAT}')`);
  const bad = ['epochs', 'batchSize', 'lr', 'lrStep', 'lrGamma', 'momentum', 'seed', 'shards'].find((k) => typeof record.settings?.[k as keyof RunSettings] !== 'number');
  if (bad) throw new Error(`${file}: settings.${bad} missing or not a number`);
  if (!Array.isArray(record.history) || record.history.some((s, i) => s?.epoch !== i + 1 || !Number.isFinite(s.testAcc))) {
    throw new Error(`${file}: history is not one entry per epoch from 1 on`);
  }
  return record;
}
