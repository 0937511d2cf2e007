/** The flag of a setting: lrStep is --lr-step. Lower layers name a setting by it when their caller does not say what
 *  set it (lib/run/settings.ts knows whether a flag or a variable did). */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
