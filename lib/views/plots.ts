import { History } from '../train/loop';
import { Recipe } from '../train/recipe';
import { learningRateCurve } from '../train/schedule';

/** A plotly figure as plotly.js takes it: traces and layout, plain data that serialises to JSON. */
export interface Figure {
  data: object[];
  layout: Record<string, unknown>;
}

const AXIS = { zeroline: false, automargin: true };

/** A run's learning curves, its learning rate beside the loss: `trainImages` per epoch, in batches of the recipe's. */
export function runCurves(history: History, recipe: Recipe, trainImages: number): Figure {
  return learningCurves(history, learningRateCurve(recipe, Math.ceil(trainImages / recipe.batchSize)));
}

/** The original's 2×2 learning curves: train loss, train accuracy, test loss, test accuracy per epoch; with `rates`
 *  (lib/train/schedule.ts learningRateCurve), the learning rate per batch beside the training loss, on its own axis. */
export function learningCurves(history: History, rates?: { epoch: number[]; rate: number[] }): Figure {
  const epochs = history.map((s) => s.epoch);
  const panels = [
    { title: 'Training Loss', values: history.map((s) => s.trainLoss), color: '#1f77b4' },
    { title: 'Training Accuracy (%)', values: history.map((s) => s.trainAcc), color: '#2ca02c' },
    { title: 'Test Loss', values: history.map((s) => s.testLoss), color: '#d62728' },
    { title: 'Test Accuracy (%)', values: history.map((s) => s.testAcc), color: '#9467bd' },
  ];
  const layout: Record<string, unknown> = {
    grid: { rows: 2, columns: 2, pattern: 'independent', ygap: 0.4 },
    height: 560,
    width: 900,
    showlegend: false,
    margin: { t: 50, b: 50, l: 60, r: 20 },
    annotations: panels.map((p, i) => ({
      text: `<b>${p.title}</b>`, showarrow: false, xref: `x${i + 1} domain`, yref: `y${i + 1} domain`, x: 0.5, y: 1.12,
    })),
  };
  panels.forEach((_, i) => {
    layout[`xaxis${i + 1}`] = { ...AXIS, title: { text: 'epoch' }, dtick: epochs.length > 10 ? 2 : 1 };
    layout[`yaxis${i + 1}`] = { ...AXIS };
  });
  const data: object[] = panels.map((p, i) => ({
    type: 'scatter', mode: 'lines+markers', name: p.title, x: epochs, y: p.values,
    xaxis: `x${i + 1}`, yaxis: `y${i + 1}`, line: { color: p.color },
  }));
  if (rates) {
    // Epoch e's loss is the mean over its batches; its rates run from e − 1 to e, so the two share the epoch axis.
    data.push({ type: 'scatter', mode: 'lines', name: 'learning rate', x: rates.epoch.map((e) => e + 1), y: rates.rate,
      xaxis: 'x1', yaxis: 'y5', line: { color: '#7f7f7f', dash: 'dot' } });
    layout.yaxis5 = { ...AXIS, overlaying: 'y1', side: 'right', title: { text: 'learning rate', font: { color: '#7f7f7f' } }, showgrid: false, exponentformat: 'e' };
  }
  return { data, layout };
}

/** counts[true][predicted] as a heatmap, with the count written in each cell. */
export function confusionHeatmap(counts: number[][]): Figure {
  const digits = counts.map((_, i) => String(i));
  return {
    data: [{
      type: 'heatmap', z: counts, x: digits, y: digits, colorscale: 'Blues', reversescale: true, showscale: false,
      text: counts.map((row) => row.map(String)), texttemplate: '%{text}', hovertemplate: 'true %{y}, predicted %{x}: %{z}<extra></extra>',
    }],
    layout: {
      title: { text: 'Confusion matrix (test set)' }, width: 520, height: 520,
      xaxis: { title: { text: 'predicted' }, type: 'category' },
      yaxis: { title: { text: 'true' }, type: 'category', autorange: 'reversed' },
      margin: { t: 50, b: 60, l: 60, r: 20 },
    },
  };
}

/** Digits in a grid of small grayscale heatmaps, each with its own caption. */
export function digitGrid(images: Uint8Array[], captions: string[], columns = 10): Figure {
  const rows = Math.max(1, Math.ceil(images.length / columns));
  const layout: Record<string, unknown> = {
    grid: { rows, columns, pattern: 'independent', xgap: 0.15, ygap: 0.35 },
    width: 90 * columns, height: 105 * rows + 30, showlegend: false, margin: { t: 30, b: 10, l: 10, r: 10 },
    annotations: captions.map((text, i) => ({
      text, showarrow: false, xref: `x${i + 1} domain`, yref: `y${i + 1} domain`, x: 0.5, y: 1.25, font: { size: 11 },
    })),
  };
  const data = images.map((pixels, i) => {
    layout[`xaxis${i + 1}`] = { visible: false };
    layout[`yaxis${i + 1}`] = { visible: false, autorange: 'reversed', scaleanchor: `x${i + 1}` };
    const z = Array.from({ length: 28 }, (_, r) => Array.from(pixels.subarray(r * 28, r * 28 + 28)));
    return { type: 'heatmap', z, colorscale: 'Greys', reversescale: true, showscale: false, hoverinfo: 'skip', xaxis: `x${i + 1}`, yaxis: `y${i + 1}` };
  });
  return { data, layout };
}

/** Test accuracy per epoch, one line per run, with the 99.4 % target; the axis is zoomed on where the runs end up
 *  (their second halves), so that the last epochs, which decide, can be told apart. */
export function accuracyCurves(runs: { name: string; history: History }[], target = 99.4): Figure {
  const tails = runs.flatMap(({ history }) => history.slice(Math.floor(history.length / 2)).map((s) => s.testAcc));
  const top = Math.max(target, ...tails) + 0.05;
  const bottom = Math.min(target - 0.1, ...tails) - 0.05;
  const last = Math.max(...runs.map(({ history }) => history.length));
  return {
    data: runs.map(({ name, history }) => ({
      type: 'scatter', mode: 'lines+markers', name, x: history.map((s) => s.epoch), y: history.map((s) => s.testAcc),
    })),
    layout: {
      title: { text: 'Test accuracy per epoch' }, width: 900, height: 500, margin: { t: 50, b: 50, l: 60, r: 20 },
      xaxis: { ...AXIS, title: { text: 'epoch' }, dtick: last > 10 ? 2 : 1 },
      yaxis: { ...AXIS, title: { text: 'test accuracy (%)' }, range: [bottom, top] },
      shapes: [{ type: 'line', xref: 'paper', x0: 0, x1: 1, y0: target, y1: target, line: { dash: 'dot', color: '#888' } }],
      legend: { orientation: 'h', y: -0.2 },
    },
  };
}
