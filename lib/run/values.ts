import { isDefaultSpec, NetSpec, planSpec, readSpecFile } from '../model/spec';

/** How a flag's or variable's text becomes a setting's value; `name` is that flag or variable, and every problem is
 *  one line naming it. */

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (text: string, name: string) => number {
  return (text, name) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max < Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
      throw new Error(`${name}: expected ${range}, got '${text}'`);
    }
    return n;
  };
}

export function positive(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got '${text}'`);
  return n;
}

export function fraction(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n >= 0 && n < 1)) throw new Error(`${name}: expected a number from 0 up to (not including) 1, got '${text}'`);
  return n;
}

/** Strictly between 0 and 1 (a one-cycle warm-up: some steps rise, some fall). */
export function openFraction(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === '' || !(n > 0 && n < 1)) throw new Error(`${name}: expected a number between 0 and 1 (both excluded), got '${text}'`);
  return n;
}

export function oneOf<T extends string>(choices: readonly T[]): (text: string, name: string) => T {
  return (text, name) => {
    if (!(choices as readonly string[]).includes(text)) throw new Error(`${name}: expected one of ${choices.join(', ')}, got '${text}'`);
    return text as T;
  };
}

export function text(value: string, name: string): string {
  if (value === '') throw new Error(`${name}: expected a value`);
  return value;
}

/** The spec in a file, checked; the original's spec given as a file counts as unset, so it is not recorded. */
export function specFile(file: string, name: string): NetSpec | undefined {
  if (file === '') throw new Error(`${name}: expected a value`);
  try {
    const spec = readSpecFile(file);
    return isDefaultSpec(spec) ? undefined : spec;
  } catch (e) {
    throw new Error(`${name} ${(e as Error).message}`);
  }
}

export function recordedSpec(spec: unknown, name: string): void {
  try {
    planSpec(spec as NetSpec);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

export function zeroOrOne(value: string, name: string): boolean {
  if (value !== '0' && value !== '1') throw new Error(`${name}: expected 1 or 0, got '${value}'`);
  return value === '1';
}
