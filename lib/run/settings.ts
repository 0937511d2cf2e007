import { parseArgs } from 'node:util';
import { BACKEND_CHOICES, BackendChoice, BackendReport, describeThreads, MAX_KERNEL_THREADS, parseBackendChoice } from '../backend/choose';
import { MAX_ROTATION } from '../data/augment';
import { NetSpec, specParams } from '../model/spec';
import { LR_SCHEDULES, Recipe } from '../train/recipe';
import { flagOf } from '../util/flagName';
import { fraction, integer, oneOf, openFraction, positive, recordedSpec, specFile, text, zeroOrOne } from './values';

/** Everything a training run is told: the recipe, the data, the backend and its threads, and where the run is
 *  written. The CLI fills it from flags, the notebook from environment variables; both go through readSettings, which
 *  checks every value. */
export interface Settings extends Recipe {
  /** The network, read from a JSON spec file; unset: the original's (recorded only when it differs). */
  modelSpec?: NetSpec;
  /** The first N images of each split (all when unset). */
  trainSamples?: number;
  testSamples?: number;
  /** A folder of MNIST IDX files instead of the packaged copies. */
  dataDir?: string;
  backend: BackendChoice;
  /** Threads for the arithmetic on wasm (unset: one per core). Speed only: the numbers are the same for any count, so
   *  it is no part of the recipe, and a resumed run may use another. */
  threads?: number;
  /** The run folder: checkpoint, model, history, lock. */
  out: string;
  /** Continue the checkpoint in `out` instead of starting afresh. */
  resume: boolean;
}

/** What a run was made with, as its checkpoint and history.json record it: the recipe, the data and the backend that
 *  ran, without where it was written and on how many threads (which history.json records per epoch). */
export type RunSettings = Omit<Settings, 'out' | 'resume' | 'threads'>;

interface Field<T> {
  /** The value's shape in the usage text ('' for a switch). */
  arg: string;
  help: string;
  default: T;
  /** Parses a flag's or variable's text; `name` is that flag or variable, for the error message. */
  parse(text: string, name: string): T;
  /** Checks a value a file recorded, when it is no text that parse() takes back (a spec). */
  recorded?(value: unknown, name: string): void;
  /** Added after runs were first recorded: a record without it was made with the default. */
  addedLater?: true;
}

const FIELDS: { [K in keyof Settings]-?: Field<Settings[K]> } = {
  epochs: { arg: 'N', help: 'epochs to train', default: 20, parse: integer(1) },
  batchSize: { arg: 'N', help: 'images per step', default: 128, parse: integer(1) },
  lr: { arg: 'X', help: 'learning rate (onecycle: the peak rate)', default: 0.01, parse: positive },
  lrSchedule: { arg: 'S', help: `${LR_SCHEDULES.join(', ')}: how the rate changes (docs/cli.md)`, default: 'step', parse: oneOf(LR_SCHEDULES), addedLater: true },
  lrStep: { arg: 'N', help: 'step: multiply the learning rate by lr-gamma every N epochs (0: never)', default: 8, parse: integer(0) },
  lrGamma: { arg: 'X', help: 'step: the factor', default: 0.1, parse: positive },
  lrWarmup: { arg: 'X', help: 'onecycle: the fraction of the steps spent rising to lr', default: 0.3, parse: openFraction, addedLater: true },
  momentum: { arg: 'X', help: 'SGD momentum, 0 ≤ X < 1', default: 0.9, parse: fraction },
  seed: { arg: 'N', help: 'seeds the weights, the order of the images, the dropout and the augmentation', default: 1, parse: integer(0) },
  augment: { arg: '', help: `train on images rotated at random by up to ±${MAX_ROTATION}°`, default: false, parse: zeroOrOne },
  modelSpec: { arg: 'FILE', help: 'the network as a JSON spec (docs/network.md; default: the original)', default: undefined, parse: specFile, recorded: recordedSpec },
  trainSamples: { arg: 'N', help: 'train on the first N images (default: all 60,000)', default: undefined, parse: integer(1) },
  testSamples: { arg: 'N', help: 'test on the first N images (default: all 10,000)', default: undefined, parse: integer(1) },
  dataDir: { arg: 'DIR', help: 'MNIST IDX files to use instead of the packaged ones', default: undefined, parse: text },
  backend: { arg: 'B', help: BACKEND_CHOICES.join(', '), default: 'auto', parse: parseBackendChoice },
  shards: { arg: 'N', help: 'slices of each batch with their own BatchNorm statistics (1: the whole batch, the original\'s)', default: 1, parse: integer(1) },
  threads: { arg: 'N', help: 'threads for the arithmetic on wasm: speed only, the numbers are the same for any N (default: one per core)', default: undefined, parse: integer(1, MAX_KERNEL_THREADS) },
  out: { arg: 'DIR', help: 'the run folder', default: 'runs/latest', parse: text },
  resume: { arg: '', help: 'continue the checkpoint in the run folder', default: false, parse: zeroOrOne },
};

export type SettingKey = keyof Settings;
export const SETTING_KEYS = Object.keys(FIELDS) as SettingKey[];

export { flagOf };

/** The environment variable of a setting: lrStep is MNIST_LR_STEP. */
export function envOf(key: string): string {
  return `MNIST_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Settings read from flags and the environment, and what the user set (a resumed run takes the rest from its
 *  checkpoint); `name(key)` is the flag or variable that set a value, or that would, for messages. */
export interface Configured {
  settings: Settings;
  given: Partial<Settings>;
  name(key: SettingKey): string;
  /** Flags that are not settings (e.g. evaluate's --model), as node's parseArgs gives them. */
  extra: Record<string, string | boolean | undefined>;
}

export interface ReadOptions {
  /** Command-line arguments; absent in the notebook, where only the environment speaks. */
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** The settings this caller takes (default: all). */
  keys?: SettingKey[];
  /** Flags besides the settings: name → 'string' or 'boolean'. */
  extra?: Record<string, 'string' | 'boolean'>;
  /** Defaults that differ for this caller (the notebook writes to runs/notebook). */
  defaults?: Partial<Settings>;
}

/** Reads the settings: a flag beats its environment variable, which beats the default. Every problem is one line
 *  naming the flag or variable. */
export function readSettings({ argv, env = process.env, keys = SETTING_KEYS, extra = {}, defaults = {} }: ReadOptions): Configured {
  const flags = argv ? parseFlags(argv, keys, extra) : {};
  const settings: Settings = { ...defaultSettings(), ...defaults };
  const given: Partial<Record<SettingKey, unknown>> = {};
  const origin: Partial<Record<SettingKey, string>> = {};
  for (const key of keys) {
    const [name, raw] = flags[key] !== undefined ? [flagOf(key), flags[key]] : [envOf(key), env[envOf(key)]];
    if (raw === undefined || (raw === '' && flags[key] === undefined)) continue; // an empty variable is an unset one
    (settings as Record<SettingKey, unknown>)[key] = given[key] = FIELDS[key].parse(raw === true ? '1' : String(raw), name);
    origin[key] = name;
  }
  return {
    settings,
    given: given as Partial<Settings>,
    name: (key) => origin[key] ?? (argv ? flagOf(key) : envOf(key)),
    extra: Object.fromEntries(Object.keys(extra).map((k) => [k, flags[camelCase(k)]])),
  };
}

/** The settings the notebook runs with: MNIST_* environment variables (the same names as `mnist20k train --help`
 *  lists), so that CI and tests run a quick version of the same notebook; without them, the full experiment. */
export function notebookSettings(env: NodeJS.ProcessEnv = process.env): Configured {
  return readSettings({ env, defaults: { out: 'runs/notebook' } });
}

export function defaultSettings(): Settings {
  const settings: Partial<Record<SettingKey, unknown>> = {};
  for (const key of SETTING_KEYS) settings[key] = FIELDS[key].default;
  return settings as Settings;
}

/** The settings a run records, once `backend` runs it: without where it is written and on how many threads, and no
 *  field left undefined (what is unset stays unset in the JSON it is written to). */
export function runSettings({ out, resume, threads, ...settings }: Settings, backend: BackendChoice): RunSettings {
  const defined = Object.entries(settings).filter(([, v]) => v !== undefined);
  return { ...Object.fromEntries(defined), backend } as RunSettings;
}

/** What is wrong with a setting a file recorded (a checkpoint's), by the rules its flag and variable follow, or
 *  undefined; `name` is the field, for the message. Unset optional settings are absent. */
export function recordedSettingProblem(key: keyof RunSettings, value: unknown, name: string): string | undefined {
  if (value === undefined) return FIELDS[key].default === undefined || FIELDS[key].addedLater ? undefined : `${name}: missing`;
  const field: Field<unknown> = FIELDS[key];
  try {
    if (field.recorded) return void field.recorded(value, name);
    // A switch is recorded as true/false and written 1/0.
    if (field.parse(typeof value === 'boolean' ? String(Number(value)) : String(value), name) === value) return undefined;
  } catch (e) {
    return (e as Error).message;
  }
  return `${name}: ${JSON.stringify(value)} is not a ${typeof FIELDS[key].default === 'string' ? 'string' : 'number'}`;
}

/** `[--epochs N] [--resume] …` for the usage text, one entry per setting `keys` takes. */
export function usageOf(keys: SettingKey[] = SETTING_KEYS): string[] {
  return keys.map((k) => `[${flagOf(k)}${FIELDS[k].arg ? ` ${FIELDS[k].arg}` : ''}]`);
}

/** One line per setting: flag, variable, default and what it does (`mnist20k train --help`, docs/cli.md). */
export function settingsHelp(keys: SettingKey[] = SETTING_KEYS): string {
  return keys.map((k) => {
    const f = FIELDS[k];
    const flag = `${flagOf(k)}${f.arg ? ` ${f.arg}` : ''}`;
    const fallback = f.default === undefined || f.default === false ? '' : ` (default ${f.default})`;
    return `  ${flag.padEnd(22)} ${envOf(k).padEnd(20)} ${f.help}${fallback}`;
  }).join('\n');
}

/** The settings a run trains with, in one line, ending with what runs it (`report`). */
export function describeSettings(s: RunSettings, report: BackendReport): string {
  return `epochs ${s.epochs}, batch ${s.batchSize}, ${describeSchedule(s)}, momentum ${s.momentum}, seed ${s.seed}, ` +
    `${s.augment ? `rotations ±${MAX_ROTATION}°, ` : ''}${s.modelSpec ? `own network (${specParams(s.modelSpec).toLocaleString('en-US')} parameters), ` : ''}${describeShards(s.shards, report)}`;
}

/** "lr 0.01 ×0.1 every 8 epochs", "lr one-cycle to 0.05 (30 % warm-up)", "lr 0.01". */
export function describeSchedule(s: Pick<RunSettings, 'lr' | 'lrSchedule' | 'lrStep' | 'lrGamma' | 'lrWarmup'>): string {
  if (s.lrSchedule === 'onecycle') return `lr one-cycle to ${s.lr} (${+(100 * s.lrWarmup).toFixed(1)} % warm-up)`;
  return `lr ${s.lr}${s.lrSchedule === 'step' && s.lrStep ? ` ×${s.lrGamma} every ${s.lrStep} epochs` : ''}`;
}

/** "1 shard (whole-batch BatchNorm) on 8 threads". */
export function describeShards(shards: number, report: BackendReport): string {
  const batchNorm = shards > 1 ? `${shards} shards (BatchNorm per shard)` : '1 shard (whole-batch BatchNorm)';
  return `${batchNorm} on ${describeThreads(report)}`;
}

function parseFlags(argv: string[], keys: SettingKey[], extra: Record<string, 'string' | 'boolean'>): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const k of keys) options[flagOf(k).slice(2)] = { type: FIELDS[k].arg ? 'string' : 'boolean' };
  for (const [name, type] of Object.entries(extra)) options[name] = { type };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    const ambiguous = /^Option '(--[\w-]+)/.exec(message);
    if (ambiguous && / argument is ambiguous/.test(message)) {
      // Either the value was left out (`--epochs --lr 0.1`) or it starts with '-' (`--lr -1`).
      const next = argv[argv.indexOf(ambiguous[1]) + 1] ?? '';
      if (next.startsWith('--')) throw new Error(`${ambiguous[1]}: expected a value, got the flag ${next}`);
      throw new Error(`${ambiguous[1]}: a value starting with '-' must be written ${ambiguous[1]}=VALUE`);
    }
    throw new Error(message.replace(/^Unknown option '(.*?)'.*/, "unknown flag '$1'"));
  }
  // parseArgs names options as written (lr-step); settings are camelCase (lrStep).
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [camelCase(k), v]));
}

/** lr-step → lrStep. */
function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
