import { blockLayers, NetSpec, planSpec, specParams } from './spec';

/** The spec as a learner reads it: each block as it is written, its output (channels first, as the summary shows
 *  it), its parameters and the layers it makes. */
export function describeSpec(spec: NetSpec): string {
  const planned = planSpec(spec);
  const written = planned.map((p) => JSON.stringify(p.block).replace(/"/g, '').replace(/([:,])/g, '$1 ').replace(/^\{(.*)\}$/, '{ $1 }'));
  const width = Math.max(...written.map((w) => w.length));
  const rows = planned.map((p, i) => `${String(i + 1).padStart(3)}  ${written[i].padEnd(width)}  ${channelsFirst(p.output).padStart(13)}` +
    `  ${p.params.toLocaleString('en-US').padStart(7)}  ${blockLayers(p, spec.dropout).join(' → ')}`);
  const total = specParams(spec);
  const end = `then ${planned[planned.length - 1].output.length === 3 ? 'Flatten → ' : ''}LogSoftmax`;
  return [
    ...(spec.about ? [spec.about] : []),
    `${'block'.padEnd(width + 5)}  ${'output'.padStart(13)}  ${'params'.padStart(7)}  layers`,
    ...rows,
    `${' '.repeat(width + 5)}  ${'total'.padStart(13)}  ${total.toLocaleString('en-US').padStart(7)}  ${end}; Dropout2d rate ${spec.dropout}`,
  ].join('\n');
}

/** [8, 28, 28] for a 28×28 map of 8 channels; [10] once flat. */
function channelsFirst(shape: number[]): string {
  return `[${(shape.length === 3 ? [shape[2], shape[0], shape[1]] : shape).join(', ')}]`;
}
