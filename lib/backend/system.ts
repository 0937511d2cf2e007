/** What the machine offers a backend, checked without loading it: packages, shared libraries, the C library. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Whether a package can be found from here (without loading it). */
export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Those of `libs` (shared-library file names) that the dynamic loader cannot find: neither in its cache nor in
 *  LD_LIBRARY_PATH. */
export function missingLibraries(libs: string[]): string[] {
  let cache = '';
  try {
    cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
  } catch {
    // no ldconfig: fall back to LD_LIBRARY_PATH only
  }
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  return libs.filter((lib) => !cache.includes(lib) && !dirs.some((d) => existsSync(`${d}/${lib}`)));
}

/** The running glibc's version ([2, 36]), or undefined off glibc (macOS, Windows, musl). */
export function glibcVersion(): number[] | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime?.split('.').map(Number);
}

/** a < b for versions as number arrays. */
export function olderThan(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

export function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}
