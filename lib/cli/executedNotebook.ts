import { readFileSync, writeFileSync } from 'node:fs';

/** The parts of an nbformat 4 notebook read or written here. */
interface Notebook {
  cells: { cell_type: string; source: string | string[]; execution_count?: number | null; outputs?: Output[] }[];
}
interface Output {
  output_type: string;
  execution_count?: number | null;
  name?: string;
  text?: string | string[];
}

const text = (s: string | string[] | undefined): string => (Array.isArray(s) ? s.join('') : s ?? '');

/** Gives the code cells of a notebook nbconvert has just run from top to bottom their execution counts, 1, 2, … in
 *  order, as the kernel counted them. nbconvert's ExecutePreprocessor takes a cell's count only from the kernel's
 *  execute_input and execute_result messages, which tslab does not send (its execute_reply has the count), so it
 *  leaves every cell at `In [ ]`. Cells with no code are not sent to the kernel and get no count, as nbconvert does. */
export function numberCodeCells(file: string): void {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as Notebook;
  let count = 0;
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code' || !text(cell.source).trim()) continue;
    cell.execution_count = ++count;
    for (const o of cell.outputs ?? []) if (o.output_type === 'execute_result') o.execution_count = count;
  }
  writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
}

/** What the first code cell whose source contains `call` printed on stdout, e.g. the headline numbers. */
export function printedBy(file: string, call: string): string | undefined {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as Notebook;
  const cell = nb.cells.find((c) => c.cell_type === 'code' && text(c.source).includes(call));
  const printed = (cell?.outputs ?? []).filter((o) => o.output_type === 'stream' && o.name === 'stdout').map((o) => text(o.text)).join('');
  return printed || undefined;
}
