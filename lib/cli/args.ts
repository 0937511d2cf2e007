import { parseArgs } from 'node:util';

/** Option specs as node's parseArgs takes them; every value arrives as a string and is checked below. */
export type OptionSpecs = Record<string, { type: 'string' | 'boolean' }>;
export type ParsedOptions = Record<string, string | boolean | undefined>;

/** Parses `argv` strictly: an unknown flag, a missing value or a stray argument is a one-line error naming it. */
export function parseOptions(argv: string[], options: OptionSpecs): ParsedOptions {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as ParsedOptions;
  } catch (e) {
    throw new Error(
      (e as Error).message.split('\n')[0]
        .replace(/^Unknown option '(.*?)'.*/, "unknown flag '$1'")
        .replace(/^Option '(.*?)' argument is ambiguous.*/, "$1: a value starting with '-' must be written $1=VALUE"),
    );
  }
}

export function positiveInt(value: string | boolean | undefined, flag: string, fallback: number): number;
export function positiveInt(value: string | boolean | undefined, flag: string): number | undefined;
export function positiveInt(value: string | boolean | undefined, flag: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`${flag}: expected a positive integer, got '${value}'`);
  }
  return n;
}

export function positiveNumber(value: string | boolean | undefined, flag: string, fallback: number): number;
export function positiveNumber(value: string | boolean | undefined, flag: string): number | undefined;
export function positiveNumber(value: string | boolean | undefined, flag: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new Error(`${flag}: expected a positive number, got '${value}'`);
  }
  return n;
}

export function nonNegativeInt(value: string | boolean | undefined, flag: string): number | undefined {
  return value === '0' ? 0 : positiveInt(value, flag);
}

export function text(value: string | boolean | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new Error(`${flag}: expected a value`);
  return value;
}
