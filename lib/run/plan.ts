import { isDeepStrictEqual } from 'node:util';
import { NetSpec, specParams } from '../model/spec';
import { join } from 'node:path';
import { Checkpoint, CHECKPOINT_FILE, CorruptCheckpoint, readCheckpoint } from './checkpoint';
import { Configured, defaultSettings, RunSettings, SettingKey, Settings } from './settings';

/** Settings that shape a run's trajectory, which a resumed run keeps. */
const FIXED: (keyof RunSettings & SettingKey)[] = ['batchSize', 'seed', 'augment', 'modelSpec', 'trainSamples', 'testSamples', 'dataDir', 'shards'];
/** Settings a resumed run may change: to extend it, or to go on more gently after a divergence. */
const CHANGEABLE: SettingKey[] = ['epochs', 'lr', 'lrSchedule', 'lrStep', 'lrGamma', 'lrWarmup', 'momentum', 'backend'];

export interface RunPlan {
  settings: Settings;
  checkpoint?: Checkpoint;
  /** Where a setting came from, for messages: its flag or variable, or the checkpoint's field it was taken from. */
  name(key: SettingKey): string;
}

/** What a run in `dir` goes on with. Fresh: the settings, unless `dir` holds an unfinished run they would overwrite,
 *  or a checkpoint that is no checkpoint (it is not overwritten unread). Resumed: the checkpoint's settings, changed
 *  only where the user set (`given`) one that may change. */
export function planRun(dir: string, { settings, given, name }: Pick<Configured, 'settings' | 'given' | 'name'>): RunPlan {
  const resumeSwitch = name('resume').startsWith('--') ? name('resume') : `${name('resume')}=1`;
  let checkpoint: Checkpoint | undefined;
  try {
    checkpoint = readCheckpoint(dir);
  } catch (e) {
    if (settings.resume || !(e instanceof CorruptCheckpoint)) throw e;
    throw new CorruptCheckpoint(`${e.message}; to start afresh in ${dir}, move it away, or choose another folder`);
  }
  if (!settings.resume) {
    if (checkpoint && checkpoint.epoch < checkpoint.settings.epochs) {
      throw new Error(`${name('out')} ${dir}: holds an unfinished run (epoch ${checkpoint.epoch} of ${checkpoint.settings.epochs}); ` +
        `use ${resumeSwitch} to continue it, or choose another folder`);
    }
    return { settings, name };
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
  const file = join(dir, CHECKPOINT_FILE);
  const held = checkpoint.settings;
  const recorded = (key: SettingKey): boolean => key in held && !(key in given);
  return { settings: resumed, checkpoint, name: (key) => (recorded(key) ? `${file}: settings.${key}` : name(key)) };
}

/** A setting's value in a message; a network spec is too long to print, its size says enough. */
function shown(value: unknown): string {
  if (value === undefined) return 'the default';
  return typeof value === 'object' ? `a network spec of ${specParams(value as NetSpec).toLocaleString('en-US')} parameters` : String(value);
}
