import { isDeepStrictEqual } from 'node:util';
import { NetSpec, specParams } from '../model/spec';
import { Checkpoint, CHECKPOINT_FILE, readCheckpoint } from './checkpoint';
import { Configured, defaultSettings, RunSettings, SettingKey, Settings } from './settings';

/** Settings that shape a run's trajectory, which a resumed run keeps. */
const FIXED: (keyof RunSettings & SettingKey)[] = ['batchSize', 'seed', 'augment', 'modelSpec', 'trainSamples', 'testSamples', 'dataDir', 'shards'];
/** Settings a resumed run may change: to extend it, or to go on more gently after a divergence. */
const CHANGEABLE: SettingKey[] = ['epochs', 'lr', 'lrStep', 'lrGamma', 'momentum', 'backend'];

export interface RunPlan {
  settings: Settings;
  checkpoint?: Checkpoint;
}

/** What a run in `dir` goes on with. Fresh: the settings, unless `dir` holds an unfinished run they would overwrite.
 *  Resumed: the checkpoint's settings, changed only where the user set (`given`) one that may change. */
export function planRun(dir: string, { settings, given, name }: Pick<Configured, 'settings' | 'given' | 'name'>): RunPlan {
  const checkpoint = readCheckpoint(dir);
  const resumeSwitch = name('resume').startsWith('--') ? name('resume') : `${name('resume')}=1`;
  if (!settings.resume) {
    if (checkpoint && checkpoint.epoch < checkpoint.settings.epochs) {
      throw new Error(`${name('out')} ${dir}: holds an unfinished run (epoch ${checkpoint.epoch} of ${checkpoint.settings.epochs}); ` +
        `use ${resumeSwitch} to continue it, or choose another folder`);
    }
    return { settings };
  }
  if (!checkpoint) throw new Error(`${resumeSwitch}: no checkpoint in ${dir} (${CHECKPOINT_FILE}) to continue`);
  for (const key of FIXED) {
    // A checkpoint from before a setting existed was made with its default.
    const made = checkpoint.settings[key] ?? defaultSettings()[key];
    if (key in given && !isDeepStrictEqual(given[key], made)) {
      const [was, now] = [shown(made), shown(given[key])];
      throw new Error(`${name(key)}: the run in ${dir} was made with ${was}, not ${was === now ? 'this one' : now}; a resumed run keeps it`);
    }
  }
  const changed = Object.fromEntries(CHANGEABLE.filter((k) => given[k] !== undefined).map((k) => [k, given[k]]));
  const resumed: Settings = { ...settings, ...checkpoint.settings, ...changed };
  if (resumed.epochs < checkpoint.epoch) {
    throw new Error(`${name('epochs')}: ${resumed.epochs}, but the run in ${dir} has already done ${checkpoint.epoch} epochs`);
  }
  return { settings: resumed, checkpoint };
}

/** A setting's value in a message; a network spec is too long to print, its size says enough. */
function shown(value: unknown): string {
  if (value === undefined) return 'the default';
  return typeof value === 'object' ? `a network spec of ${specParams(value as NetSpec).toLocaleString('en-US')} parameters` : String(value);
}
