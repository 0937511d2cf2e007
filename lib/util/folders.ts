import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsFailure } from './fsErrors';

/** Creates `dir` and its missing parents one by one, after checking that the nearest existing one is a folder
 *  (mkdirSync's recursive mode spins for ever under /proc). Returns the folders it created, outermost first. */
export function makeFolders(dir: string, input: string): string[] {
  const missing: string[] = [];
  let at = resolve(dir);
  for (; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  if (!statSync(at).isDirectory()) throw new Error(`${input} ${dir}: ${missing.length ? `${at} is not a folder` : 'not a folder'}`);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (e) {
      throw fsFailure(e, `${input} ${dir}: cannot create ${folder}`);
    }
  }
  return missing;
}

/** Removes `folders` (outermost first) from the innermost out, as far as they are empty. */
export function removeIfEmpty(folders: string[]): void {
  try {
    for (const folder of [...folders].reverse()) rmdirSync(folder);
  } catch {
    // not empty: the run wrote something worth keeping
  }
}
