/** The `mnist20k` command line: one file per command, each a short call into the layers below (run/, train/,
 *  model/, data/, backend/); views/ draws what they report. jupyter.ts is `npm start` and `npm run notebook`. */
import { settingsHelp } from '../run/settings';
import { bench } from './bench';
import { Command } from './command';
import { compare } from './compare';
import { doctor } from './doctor';
import { evaluateCommand } from './evaluate';
import { summary } from './summary';
import { train } from './train';

const COMMANDS: Record<string, Command> = { summary, train, evaluate: evaluateCommand, compare, bench, doctor };

function usage(): string {
  const commands = Object.entries(COMMANDS).map(([name, c]) => {
    const flags = wrap(c.usage, 80).map((l, i) => (i ? ' '.repeat(3 + name.length) : '') + l).join('\n');
    return `  ${name} ${flags}\n${c.help.split('\n').map((l) => `      ${l}`).join('\n')}`;
  });
  return `usage: mnist20k <command> [flags]   (mnist20k <command> --help: its flags and variables)

commands:
${commands.join('\n')}

add --verbose to any command to see stack traces.`;
}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [name, ...rest] = argv.filter((a) => a !== '--verbose');
  if (!name || ['--help', '-h', 'help'].includes(name)) {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`mnist20k: unknown command '${name}' (try: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const settings = command.keys.length ? `\n\nsettings (flag, environment variable):\n${settingsHelp(command.keys)}` : '';
    console.log(`usage: mnist20k ${name} ${command.usage}\n\n${command.help}${settings}`);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    console.error(`mnist20k ${name}: ${verbose && e instanceof Error ? e.stack : (e as Error).message ?? e}`);
    return (e as { exitCode?: number }).exitCode ?? 1;
  }
}

/** Breaks `[--a N] [--b N] …` into lines of at most `width` characters, between flags. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const part of text.split(/ (?=\[)/)) {
    if (lines.length && lines[lines.length - 1].length + part.length < width) lines[lines.length - 1] += ` ${part}`;
    else lines.push(part);
  }
  return lines;
}
