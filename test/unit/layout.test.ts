import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../../lib/util/paths';

/** lib/'s folders from the bottom up: a file may import from its own folder or from folders below it, never above. */
const LAYERS = ['util', 'backend', 'data', 'model', 'train', 'run', 'views', 'cli'];
const LIB = join(ROOT, 'lib');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The project files a source file imports (relative specifiers only), resolved to paths. */
function imports(file: string): string[] {
  const specs = [...readFileSync(file, 'utf8').matchAll(/(?:from|import\(|require\()\s*'(\.[^']*)'/g)].map((m) => m[1]);
  return specs.map((s) => resolve(dirname(file), s)).map((p) => (existsSync(`${p}.ts`) ? `${p}.ts` : join(p, 'index.ts')));
}

const layerOf = (file: string): string => relative(LIB, file).split('/')[0];

test('lib/ is the layer folders, each opening with a README that says what it holds', () => {
  assert.deepEqual(readdirSync(LIB).sort(), [...LAYERS].sort());
  for (const layer of LAYERS) assert.ok(readFileSync(join(LIB, layer, 'README.md'), 'utf8').length > 80, `lib/${layer}/README.md`);
});

test('imports point down the layers only, and nothing imports in a circle', () => {
  const graph = new Map(sources(LIB).map((f) => [f, imports(f)]));
  for (const [file, targets] of graph) {
    for (const target of targets) {
      assert.ok(graph.has(target), `${relative(ROOT, file)} imports ${relative(ROOT, target)}, which is not in lib/`);
      assert.ok(LAYERS.indexOf(layerOf(target)) <= LAYERS.indexOf(layerOf(file)),
        `${relative(ROOT, file)} (${layerOf(file)}) imports ${relative(ROOT, target)} (${layerOf(target)}), a layer above it`);
    }
  }
  const done = new Set<string>();
  const visit = (file: string, path: string[]): void => {
    if (path.includes(file)) assert.fail(`import cycle: ${[...path.slice(path.indexOf(file)), file].map((f) => relative(LIB, f)).join(' -> ')}`);
    if (done.has(file)) return;
    graph.get(file)!.forEach((t) => visit(t, [...path, file]));
    done.add(file);
  };
  for (const file of graph.keys()) visit(file, []);
});

test('no source file is longer than 250 lines', () => {
  for (const file of [...sources(LIB), ...sources(join(ROOT, 'test'))]) {
    const lines = readFileSync(file, 'utf8').split('\n').length;
    assert.ok(lines <= 250, `${relative(ROOT, file)}: ${lines} lines`);
  }
});
