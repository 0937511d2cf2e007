import { join, resolve } from 'node:path';
import { nonNegativeInt, parseOptions, positiveInt, positiveNumber, text } from './args';
import { backendFromEnv, BackendChoice, describeBackend, initBackend, parseBackendChoice } from '../backend/choose';
import { RunSettings } from '../run/checkpoint';
import { loadMnist } from '../data/mnist';
import { StopOnSignal, stoppable } from '../run/interrupt';
import { lockRunDir } from '../run/lock';
import { buildNet } from '../model/net';
import { TerminalProgress } from '../views/progress';
import { planRun, RunStopped, SettingNames, trainCheckpointed } from '../run/plan';
import { saveRun } from '../run/record';
import { DEFAULTS } from '../train/loop';
import { defaultThreads } from '../train/step';

const NAMES: SettingNames = {
  epochs: '--epochs', batchSize: '--batch-size', lr: '--lr', lrStep: '--lr-step', lrGamma: '--lr-gamma', momentum: '--momentum', seed: '--seed',
  trainSamples: '--train-samples', testSamples: '--test-samples', dataDir: '--data-dir', backend: '--backend',
  threads: '--threads', out: '--out', resume: '--resume',
};

/** Trains into --out: a checkpoint after every epoch, the model and history at the end. --resume continues the
 *  checkpoint's run; Ctrl-C stops after the current batch and says how to resume. */
export async function trainCommand(argv: string[]): Promise<void> {
  const o = parseOptions(argv, {
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    'lr-step': { type: 'string' },
    'lr-gamma': { type: 'string' },
    momentum: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    'train-samples': { type: 'string' },
    'test-samples': { type: 'string' },
    'data-dir': { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
  });
  const given = givenSettings(o);
  const outArg = text(o.out, '--out') ?? join('runs', 'latest');
  const out = resolve(outArg);
  const lock = lockRunDir(out, '--out');
  try {
    const plan = planRun(out, { ...DEFAULTS, backend: backendFromEnv(), ...given }, given, Boolean(o.resume), NAMES);
    const data = loadMnist(plan.settings);
    const report = await initBackend(plan.settings.backend);
    const settings: RunSettings = {
      ...plan.settings,
      backend: report.backend as BackendChoice,
      threads: plan.settings.threads ?? defaultThreads(report.backend),
    };
    console.log(describeBackend(report));
    console.log(`data: ${data.train.count} train, ${data.test.count} test images; epochs ${settings.epochs}, batch ${settings.batchSize}, ` +
      `lr ${settings.lr}${settings.lrStep ? ` ×${settings.lrGamma} every ${settings.lrStep} epochs` : ''}, momentum ${settings.momentum}, seed ${settings.seed}, threads ${settings.threads}` +
      (plan.checkpoint ? `; resuming after epoch ${plan.checkpoint.epoch} from ${outArg}` : ''));
    const model = buildNet({ seed: settings.seed });
    const progress = new TerminalProgress();
    const stop = new StopOnSignal();
    try {
      const history = await trainCheckpointed(model, data, out, settings, plan.checkpoint, stoppable(progress, stop, settings.epochs));
      await saveRun(out, model, { backend: report, options: settings, history });
      console.log(`saved model and history to ${outArg}`);
    } catch (e) {
      throw e instanceof RunStopped ? withResumeCommand(e, outArg) : e;
    } finally {
      progress.stop();
      stop.dispose();
      model.dispose();
    }
  } finally {
    lock.release();
  }
}

/** The settings given on the command line, and only those: a resumed run takes the rest from its checkpoint. */
function givenSettings(o: ReturnType<typeof parseOptions>): Partial<RunSettings> {
  const all: Partial<RunSettings> = {
    epochs: positiveInt(o.epochs, '--epochs'),
    batchSize: positiveInt(o['batch-size'], '--batch-size'),
    lr: positiveNumber(o.lr, '--lr'),
    lrStep: nonNegativeInt(o['lr-step'], '--lr-step'),
    lrGamma: positiveNumber(o['lr-gamma'], '--lr-gamma'),
    momentum: momentumValue(o.momentum),
    seed: nonNegativeInt(o.seed, '--seed'),
    trainSamples: positiveInt(o['train-samples'], '--train-samples'),
    testSamples: positiveInt(o['test-samples'], '--test-samples'),
    dataDir: text(o['data-dir'], '--data-dir'),
    backend: o.backend === undefined ? undefined : parseBackendChoice(String(o.backend), '--backend'),
    threads: positiveInt(o.threads, '--threads'),
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

function momentumValue(value: string | boolean | undefined): number | undefined {
  const m = positiveNumber(value, '--momentum');
  if (m !== undefined && m >= 1) throw new Error(`--momentum: expected a value below 1, got '${value}'`);
  return m;
}

/** The stop message, with the exact command that goes on from the last checkpoint; a signal's exit code is kept. */
function withResumeCommand(e: RunStopped, outArg: string): Error {
  const command = e.checkpointEpoch ? `; resume with: npx mnist20k train --resume --out ${shellQuote(outArg)}` : '';
  return Object.assign(new Error(e.message + command), { exitCode: (e.cause as { exitCode?: number }).exitCode });
}

function shellQuote(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
