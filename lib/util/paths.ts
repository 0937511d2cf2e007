import { resolve } from 'node:path';

/** The project's root folder: this file runs compiled, from dist/lib/. */
export const ROOT = resolve(__dirname, '..', '..', '..');
