import * as tf from '@tensorflow/tfjs';
import { buildNet } from '../model/net';
import { summary as layerTable } from '../model/summary';
import { Command, noArguments } from './command';

/** `mnist20k summary`: the network's layer table, as torchsummary prints the original's. */
export const summary: Command = {
  usage: '',
  keys: [],
  help: "print the network's layer table (torchsummary format)",
  async run(argv) {
    noArguments(argv);
    tf.enableProdMode();
    await tf.setBackend('cpu');
    const model = buildNet();
    console.log(layerTable(model));
    model.dispose();
  },
};
