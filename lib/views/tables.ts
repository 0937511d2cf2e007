import * as dfd from 'danfojs-node';
import { History } from '../train/loop';
import { escapeHtml } from './display';

const COLUMNS = ['epoch', 'train loss', 'train acc (%)', 'test loss', 'test acc (%)', 'seconds'];

/** The per-epoch history as a DataFrame, rounded for reading. */
export function historyFrame(history: History): dfd.DataFrame {
  const rows = history.map((s) => [
    s.epoch, round(s.trainLoss, 4), round(s.trainAcc, 2), round(s.testLoss, 4), round(s.testAcc, 2), round(s.seconds, 1),
  ]);
  return new dfd.DataFrame(rows, { columns: COLUMNS });
}

/** An HTML table of a DataFrame (danfojs prints only text tables itself). */
export function frameHtml(df: dfd.DataFrame): string {
  const head = df.columns.map((c) => `<th>${escapeHtml(String(c))}</th>`).join('');
  const body = (df.values as unknown[][])
    .map((row) => `<tr>${row.map((v) => `<td>${escapeHtml(String(v))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="history"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
