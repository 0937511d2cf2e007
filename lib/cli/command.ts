import { SettingKey } from '../run/settings';

/** One `mnist20k` command: its flags as the usage text shows them, what it does, and the code that does it. */
export interface Command {
  usage: string;
  /** The settings it takes, for `mnist20k <command> --help` (lib/run/settings.ts). */
  keys: SettingKey[];
  help: string;
  run(argv: string[]): Promise<void>;
}

/** Commands that take no flags fail on any argument, in one line. */
export function noArguments(argv: string[]): void {
  if (argv.length) throw new Error(`unexpected argument '${argv[0]}'`);
}
