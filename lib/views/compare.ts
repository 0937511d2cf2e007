import { isDeepStrictEqual } from 'node:util';
import { NetSpec, specParams } from '../model/spec';
import { findRunRecords, NamedRecord } from '../run/record';
import { defaultSettings, flagOf, RunSettings, Settings } from '../run/settings';
import { ROOT } from '../util/paths';
import { showFigure } from './display';
import { accuracyCurves, Figure } from './plots';

/** The original's goal: 99.4 % test accuracy. */
const TARGET = 99.4;
const COLUMNS = ['run', 'best (epoch)', `first ≥ ${TARGET.toFixed(2)}`, 'last five (min)', 's/epoch', 'backend', 'settings that differ'];

/** One row per run: its best test accuracy and when, the first epoch at the target, the last five epochs and their
 *  worst, the seconds per epoch, the backend, and the settings in which the runs differ. */
export function compareTable(runs: NamedRecord[]): string {
  const differ = differingKeys(runs);
  const rows = runs.map(({ name, record: { history, backend, settings } }) => {
    const best = history.reduce((a, b) => (b.testAcc > a.testAcc ? b : a));
    const first = history.find((s) => s.testAcc >= TARGET);
    const lastFive = history.slice(-5).map((s) => s.testAcc);
    return [
      name,
      `${best.testAcc.toFixed(2)} (${best.epoch})`,
      first ? String(first.epoch) : 'not reached',
      `${lastFive.map((a) => a.toFixed(2)).join(' ')} (${Math.min(...lastFive).toFixed(2)})`,
      (history.reduce((sum, s) => sum + s.seconds, 0) / history.length).toFixed(1),
      backend.backend,
      differ.map((key) => `${flagOf(key).slice(2)}=${valueOf(settings, key)}`).join(' '),
    ];
  });
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  return [COLUMNS, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

export function compareFigure(runs: NamedRecord[]): Figure {
  return accuracyCurves(runs.map(({ name, record }) => ({ name, history: record.history })), TARGET);
}

/** The notebook's comparison: the runs at `paths` (relative to the project) as a table and on one chart. */
export async function showRuns(paths: string[]): Promise<void> {
  const runs = findRunRecords(paths, ROOT);
  console.log(compareTable(runs));
  await showFigure(compareFigure(runs));
}

/** Settings whose values are not the same in every run (the backend has its own column). */
function differingKeys(runs: NamedRecord[]): (keyof RunSettings)[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.record.settings)))] as (keyof RunSettings)[];
  return keys.filter((k) => k !== 'backend' && runs.some((r) => !isDeepStrictEqual(valueOf(r.record.settings, k), valueOf(runs[0].record.settings, k))));
}

/** A setting as the table shows it; one a record lacks (written before the setting existed) had its default. */
function valueOf(settings: RunSettings, key: keyof RunSettings): string {
  const value = settings[key] ?? defaultSettings()[key as keyof Settings];
  if (key === 'modelSpec') return value ? `${specParams(value as NetSpec)}-params` : 'original';
  if (value === undefined) return key === 'dataDir' ? 'packaged' : 'all';
  return typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
}
