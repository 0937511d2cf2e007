import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
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

/** A run record and what to call it. */
export interface NamedRecord {
  name: string;
  record: RunRecord;
}

/** The records `paths` point at, resolved against `root`: a run folder (its history.json), a history file, or a
 *  folder of history files without a run of its own (models/plain-recipe: each *history.json in it). Each is named
 *  by its path, relative to `root` when inside it, without 'history.json'. */
export function findRunRecords(paths: string[], root = process.cwd()): NamedRecord[] {
  return paths.flatMap((path) => recordFiles(resolve(root, path), path)).map((file) => {
    const inside = relative(root, file);
    return { name: (inside.startsWith('..') ? file : inside).replace(/[/-]?history\.json$/, '') || '.', record: readRunRecord(file) };
  });
}

function recordFiles(path: string, given: string): string[] {
  if (!existsSync(path)) throw new Error(`${given}: no such file or folder`);
  if (!statSync(path).isDirectory()) return [path];
  if (existsSync(join(path, RECORD_FILE))) return [join(path, RECORD_FILE)];
  const files = readdirSync(path).filter((f) => f.endsWith(RECORD_FILE)).sort().map((f) => join(path, f));
  if (!files.length) throw new Error(`${given}: no ${RECORD_FILE} here, nor any *${RECORD_FILE} (a finished run leaves one)`);
  return files;
}
