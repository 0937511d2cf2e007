/** This folder holds the sources of our SIMD kernels, WebAssembly text (.wat) and C (.c), this build script, and what
 *  it makes: modules.ts, their compiled bytes as base64 strings, each under a comment with its source's SHA-256.
 *  `npm run build:wasm` rebuilds modules.ts after a source is edited; the kernels load only modules.ts, so running
 *  them needs no compiler. test/kernels/wasm.test.ts fails when modules.ts and the sources disagree.
 *
 *  The compilers: for .wat, wabt's wat2wasm as the npm package `wabt` builds it; for .c, clang with the wasm32 target
 *  and wasm-ld (Debian 12's `clang` and `lld`, version 14). A module runs on the backend's own memory, so it must
 *  import that memory and nothing else, and must not use memory of its own (no data, no stack): the build checks. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import wabt from 'wabt';
import { atomicWrite } from '../../../util/atomicWrite';
import { ROOT } from '../../../util/paths';

/** This folder in the source tree (the script runs compiled, from dist/). */
export const WASM_SOURCES = join(ROOT, 'lib', 'backend', 'kernels', 'wasm');

/** Where the compiled bytes go. */
export const MODULES_FILE = join(WASM_SOURCES, 'modules.ts');

/** The sources of `folder`, sorted so the generated module does not depend on directory order. */
export function sourceFiles(folder = WASM_SOURCES): string[] {
  return readdirSync(folder).filter((name) => /\.(wat|c)$/.test(name)).sort().map((name) => join(folder, name));
}

/** The name under which modules.ts exports a source's bytes: filterGrad.wat → filterGradWasm. */
export function exportName(file: string): string {
  return `${basename(file).replace(/\.(wat|c)$/, '')}Wasm`;
}

/** A source file's SHA-256, hex. */
export function sourceHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

let loaded: ReturnType<typeof wabt> | undefined;

/** The WebAssembly features our modules use, which wabt parses only when asked: 128-bit SIMD, and threads for the
 *  shared memory they import (the backend's, which the kernel threads share: ../sharedMemory.ts). */
const FEATURES = { simd: true, threads: true };

/** One .wat file as a WebAssembly binary. */
export async function compileWat(file: string): Promise<Uint8Array> {
  const compiler = await (loaded ??= wabt());
  const module = compiler.parseWat(basename(file), readFileSync(file, 'utf8'), FEATURES);
  try {
    // wabt's typings leave out validate's features argument, without which a shared memory fails validation
    (module as unknown as { validate(features: object): void }).validate(FEATURES);
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** One .c file as a WebAssembly binary: no libc, functions exported by their export_name attributes. */
export async function compileC(file: string): Promise<Uint8Array> {
  const folder = mkdtempSync(join(tmpdir(), 'build-wasm-'));
  const out = join(folder, 'module.wasm');
  try {
    execFileSync('clang', ['--target=wasm32', '-O3', '-msimd128', '-matomics', '-mbulk-memory', '-fno-builtin', '-nostdlib',
      '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296',
      '-Wl,--strip-all', '-o', out, file], { stdio: ['ignore', 'inherit', 'inherit'] });
    const bytes = new Uint8Array(readFileSync(out));
    await checkSelfContained(file, bytes);
    return bytes;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Fails unless the module imports the backend's memory and nothing else, and uses no memory of its own: clang puts
 *  a C stack (a global pointer into memory) and constants (data segments) into the memory it imports, the backend's. */
export async function checkSelfContained(file: string, bytes: Uint8Array): Promise<void> {
  const compiler = await (loaded ??= wabt());
  const module = compiler.readWasm(bytes, FEATURES);
  try {
    const text = module.toText({});
    const imports = text.match(/\(import "[^"]*" "[^"]*"/g) ?? [];
    if (imports.join() !== '(import "env" "memory"') {
      throw new Error(`${basename(file)}: the module must import env.memory and nothing else; it imports ${imports.join(', ') || 'nothing'}`);
    }
    const uses = ['global.get', 'global.set', '(data '].filter((word) => text.includes(word));
    if (uses.length) throw new Error(`${basename(file)}: the module uses memory of its own (${uses.join(', ')}); keep arrays small and constant-indexed, and tables out`);
  } finally {
    module.destroy();
  }
}

/** modules.ts for these compiled files: one base64 string constant per source, in lines of 100 characters. */
export function generatedModule(compiled: Map<string, Uint8Array>): string {
  const lines = [
    '// Generated by lib/backend/kernels/wasm/compile.ts (npm run build:wasm) from the sources beside it; do not edit.',
  ];
  for (const [file, bytes] of compiled) {
    const chunks = Buffer.from(bytes).toString('base64').match(/.{1,100}/g) ?? [''];
    lines.push('', `/** ${basename(file)}, compiled; source SHA-256 ${sourceHash(file)}. */`, `export const ${exportName(file)} =`);
    lines.push(...chunks.map((chunk, i) => `  '${chunk}'${i < chunks.length - 1 ? ' +' : ';'}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Every source of this folder, compiled, by file. */
export async function compileAll(): Promise<Map<string, Uint8Array>> {
  const compiled = new Map<string, Uint8Array>();
  for (const file of sourceFiles()) compiled.set(file, await (file.endsWith('.c') ? compileC(file) : compileWat(file)));
  return compiled;
}

async function main(): Promise<void> {
  atomicWrite(MODULES_FILE, generatedModule(await compileAll()));
  console.log(`wrote ${MODULES_FILE}`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`build:wasm: ${error.message}`);
    process.exit(1);
  });
}
