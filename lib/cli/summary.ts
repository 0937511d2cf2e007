import * as tf from '@tensorflow/tfjs';
import { buildNet } from '../model/net';
import { receptiveFieldTable } from '../model/receptiveField';
import { summary as layerTable } from '../model/summary';
import { readSettings, SettingKey, usageOf } from '../run/settings';
import { Command } from './command';

const KEYS: SettingKey[] = ['modelSpec'];

/** `mnist20k summary`: the network's layer table, as torchsummary prints the original's, then the receptive field
 *  after each layer. */
export const summary: Command = {
  usage: usageOf(KEYS).join(' '),
  keys: KEYS,
  help: "print the network's layer table (torchsummary format) and its receptive fields",
  async run(argv) {
    const { settings } = readSettings({ argv, keys: KEYS });
    tf.enableProdMode();
    await tf.setBackend('cpu');
    const model = buildNet({ spec: settings.modelSpec });
    console.log(`${layerTable(model)}\n\n${receptiveFieldTable(model)}`);
    model.dispose();
  },
};
