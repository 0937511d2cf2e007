import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BackendReport } from '../backend/choose';
import { savedWeightsSha256, saveModel } from '../model/saved';
import { History } from '../train/loop';
import { atomicWrite } from '../util/atomicWrite';
import { fsFailure } from '../util/fsErrors';
import { readJsonFile } from '../util/readFile';
import { RunSettings } from './settings';

export const RECORD_FILE = 'history.json';
export const RECORD_FORMAT = 'mnist20k-run/1';

/** DIR/history.json: what a finished run leaves behind besides its weights, enough to compare and reproduce it. */
export interface RunRecord {
  format: typeof RECORD_FORMAT;
  /** The SHA-256 of the run's weights.bin (saveModel's identity of the model), which ties this record to the model
   *  beside it; records written before it was recorded, and those without weights (models/plain-recipe), lack it. */
  weightsSha256?: string;
  settings: RunSettings;
  backend: BackendReport;
  history: History;
}

/** history.json is 5 kB for 20 epochs; a run of thousands of epochs stays far below this. */
const RECORD_BYTES = 16 * 2 ** 20;
/** A record nests 3 deep (a history entry, the backend's notes). */
const RECORD_DEPTH = 6;

/** Writes DIR/weights.bin, DIR/model.json and DIR/history.json, each replaced atomically, so a reader never sees half
 *  a file; the run's checkpoint and lock in the same folder stay. The model.json and history.json of a run that
 *  finished in DIR before go first: a failure part way (a full disk) then leaves the new set, or weights without
 *  model.json or history.json, never an older run's files beside the new weights. */
export async function saveRun(dir: string, model: tf.LayersModel, record: Omit<RunRecord, 'format' | 'weightsSha256'>): Promise<void> {
  for (const file of [RECORD_FILE, 'model.json']) {
    try {
      rmSync(join(dir, file), { force: true });
    } catch (e) {
      throw fsFailure(e, `${join(dir, file)}: cannot remove the previous run's file`);
    }
  }
  const weightsSha256 = await saveModel(model, dir);
  writeRunRecord(dir, { ...record, weightsSha256 });
}

/** DIR/history.json, as saveRun writes it. */
export function writeRunRecord(dir: string, { weightsSha256, settings, backend, history }: Omit<RunRecord, 'format'>): void {
  const record: RunRecord = { format: RECORD_FORMAT, weightsSha256, settings, backend, history };
  atomicWrite(join(dir, RECORD_FILE), JSON.stringify(record, null, 2) + '\n');
}

/** A run record read back (`compare`, `evaluate`, tests), checked enough that a reader can rely on its shape. */
export function readRunRecord(file: string): RunRecord {
  const record = readJsonFile(file, 'a run record', { maxBytes: RECORD_BYTES, maxDepth: RECORD_DEPTH }) as RunRecord;
  if (record?.format !== RECORD_FORMAT) throw new Error(`${file}: not an mnist20k run record (format '${record?.format}', expected '${RECORD_FORMAT}')`);
  const bad = ['epochs', 'batchSize', 'lr', 'lrStep', 'lrGamma', 'momentum', 'seed', 'shards'].find((k) => typeof record.settings?.[k as keyof RunSettings] !== 'number');
  if (bad) throw new Error(`${file}: settings.${bad} missing or not a number`);
  if (!Array.isArray(record.history) || record.history.some((s, i) => s?.epoch !== i + 1 || !Number.isFinite(s.testAcc))) {
    throw new Error(`${file}: history is not one entry per epoch from 1 on`);
  }
  if (record.weightsSha256 !== undefined && !/^[0-9a-f]{64}$/.test(String(record.weightsSha256))) {
    throw new Error(`${file}: weightsSha256: ${JSON.stringify(record.weightsSha256)}, expected a SHA-256 (64 hex digits)`);
  }
  return record;
}

/** Refuses a run folder whose history.json names other weights than its model.json records: the files of two runs
 *  (a record left beside a later run's model, say). A record or model saved before they named their weights passes. */
export function checkOneRun(dir: string): void {
  const file = join(dir, RECORD_FILE);
  if (!existsSync(file)) return;
  const recorded = readRunRecord(file).weightsSha256;
  if (recorded === undefined) return;
  const saved = savedWeightsSha256(dir);
  if (saved !== recorded) {
    throw new Error(`${file} and ${join(dir, 'model.json')} come from different runs: the record names weights of SHA-256 ${recorded.slice(0, 12)}…, ` +
      `the model ${saved ? `${saved.slice(0, 12)}…` : 'none'}`);
  }
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
