/** The README and the pages under docs/: the blocks they show of what the CLI prints are what it prints today, every
 *  relative link and image resolves (to a file or folder, and to a heading where it names one), and the README stays a
 *  front page. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../lib/util/paths';

const BIN = join(ROOT, 'bin', 'mnist20k.js');
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');
const MAX_README_LINES = 250;

/** README.md and every docs/*.md. */
function markdownFiles(): string[] {
  const docs = existsSync(DOCS) ? readdirSync(DOCS).filter((f) => f.endsWith('.md')).sort().map((f) => join(DOCS, f)) : [];
  return [README, ...docs];
}

/** Runs the CLI from the project root; its stdout, with the exit status checked. */
function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MNIST_BACKEND: '' }, timeout: 60_000 });
  assert.equal(r.status, 0, `mnist20k ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

interface Block { file: string; line: number; lang: string; text: string }

/** The fenced code blocks of a markdown text: language, first line number and text (without the fences). */
export function fencedBlocks(markdown: string, file = '(text)'): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].startsWith(`${indent}${fence}`); j++) body.push(lines[j].slice(indent.length));
    blocks.push({ file, line: i + 1, lang: lang.trim(), text: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** The markdown with its fenced blocks and inline code blanked out, so that `[--flag N](…)`-like code is no link. */
function prose(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  return lines.map((l) => {
    const m = /^\s*(```+|~~~+)/.exec(l);
    if (fence) {
      if (m && m[1].startsWith(fence)) fence = undefined;
      return '';
    }
    if (m) { fence = m[1]; return ''; }
    return l.replace(/(`+)[^`]*?\1/g, '');
  }).join('\n');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (not hyphens), spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const l of prose(markdown).split('\n')) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (!h) continue;
    const base = slug(h[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Each relative link or image of `file` (text `markdown`) that does not resolve, as "file:line: target (why)". */
export function brokenLinks(file: string, markdown: string): string[] {
  const broken: string[] = [];
  const lines = prose(markdown).split('\n');
  lines.forEach((l, i) => {
    const targets = [...l.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1])
      .concat([...l.matchAll(/<(?:img|a)\s[^>]*(?:src|href)="([^"]+)"/g)].map((m) => m[1]));
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      const [path, fragment] = target.split('#');
      const where = `${relative(ROOT, file)}:${i + 1}: ${target}`;
      if (!path) {
        if (!anchors(markdown).has(fragment)) broken.push(`${where} (no heading #${fragment} on this page)`);
        continue;
      }
      const resolved = resolve(dirname(file), decodeURI(path));
      if (resolved !== ROOT && !resolved.startsWith(ROOT + sep)) { broken.push(`${where} (leads out of the project)`); continue; }
      if (!existsSync(resolved)) { broken.push(`${where} (no such file)`); continue; }
      if (fragment !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(fragment)) {
        broken.push(`${where} (no heading #${fragment} in ${relative(ROOT, resolved)})`);
      }
    }
  });
  return broken;
}

/** What the docs show as `mnist20k --help`: the usage, then the settings `train --help` lists. */
function expectedUsage(): string {
  const usage = cli('--help').replace(/\n$/, '');
  const train = cli('train', '--help').replace(/\n$/, '');
  const at = train.indexOf('settings (flag, environment variable):');
  assert.ok(at > 0, 'mnist20k train --help prints its settings');
  return `${usage}\n\n${train.slice(at)}`;
}

test('the CLI usage the docs show is what mnist20k --help and train --help print, character for character', () => {
  const expected = expectedUsage();
  const shown = markdownFiles().flatMap((f) => fencedBlocks(readFileSync(f, 'utf8'), f))
    .filter((b) => b.text.startsWith('usage: mnist20k'));
  assert.ok(shown.length >= 1, 'a page under docs/ (or the README) shows the usage block');
  for (const b of shown) {
    const want = b.text.startsWith('usage: mnist20k <command>') ? expected : cli(b.text.split(/\s+/)[2], '--help').replace(/\n$/, '');
    assert.equal(b.text, want, `${relative(ROOT, b.file)}:${b.line}: the usage block differs from what the CLI prints`);
  }
});

test('the commands the README shows at a glance exist, with flags the CLI takes', () => {
  const usage = expectedUsage();
  const commands = fencedBlocks(readFileSync(README, 'utf8'), README).flatMap((b) => b.text.split('\n'))
    .filter((l) => l.startsWith('npx mnist20k '));
  assert.ok(commands.length >= 5, 'the README shows the commands');
  for (const line of commands) {
    const [name, ...args] = line.replace(/#.*/, '').trim().split(/\s+/).slice(2);
    assert.match(usage, new RegExp(`^  ${name} `, 'm'), `${line}: no command '${name}' in mnist20k --help`);
    const own = cli(name, '--help');
    const flags = own.split('\n')[0]; // usage: mnist20k NAME [--a N] --b DIR …
    for (const flag of args.filter((a) => a.startsWith('--'))) {
      assert.match(flags, new RegExp(`[ \\[]${flag}[ \\]]`), `${line}: mnist20k ${name} takes no ${flag}`);
    }
  }
});

test('the receptive-field table docs/network.md shows is part of what mnist20k summary prints', () => {
  const printed = cli('summary');
  const tables = markdownFiles().flatMap((f) => fencedBlocks(readFileSync(f, 'utf8'), f)).filter((b) => /^-+\n\s+Layer \(type\)/.test(b.text));
  assert.ok(tables.length >= 1, 'the docs show a layer table');
  for (const b of tables) assert.ok(printed.includes(`${b.text}\n`), `${relative(ROOT, b.file)}:${b.line}: the table is not what mnist20k summary prints`);
});

test('the compare table the docs show is what mnist20k compare models/* prints', () => {
  const out = mkdtempSync(join(tmpdir(), 'docs-compare-'));
  try {
    const shown = markdownFiles().flatMap((f) => fencedBlocks(readFileSync(f, 'utf8'), f)).filter((b) => b.text.startsWith('$ npx mnist20k compare models/*\n'));
    assert.ok(shown.length >= 1, 'the docs show a compare table');
    const models = readdirSync(join(ROOT, 'models')).sort().map((d) => `models/${d}`);
    const printed = cli('compare', ...models, '--out', join(out, 'compare.html')).split('\n').filter((l) => !l.startsWith('chart: ')).join('\n').replace(/\n$/, '');
    for (const b of shown) assert.equal(b.text.split('\n').slice(1).join('\n'), printed, `${relative(ROOT, b.file)}:${b.line}: the compare table differs`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('every relative link and image in README.md and docs/*.md resolves', () => {
  const files = markdownFiles();
  assert.ok(files.length > 1, 'docs/ holds pages');
  let links = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    links += [...prose(text).matchAll(/\]\((?![a-z]+:)/g)].length;
    assert.deepEqual(brokenLinks(f, text), [], `${relative(ROOT, f)} has links that do not resolve`);
  }
  assert.ok(links > 20, `the pages link to each other and to the code (${links} relative links)`);
});

test('every page under docs/ is linked from the README', () => {
  const readme = readFileSync(README, 'utf8');
  for (const f of markdownFiles().slice(1)) assert.ok(readme.includes(`](docs/${relative(DOCS, f)})`), `README.md does not link docs/${relative(DOCS, f)}`);
});

test(`README.md is a front page: at most ${MAX_README_LINES} lines`, () => {
  const lines = readFileSync(README, 'utf8').replace(/\n$/, '').split('\n').length;
  assert.ok(lines <= MAX_README_LINES, `README.md has ${lines} lines; move detail to a page under docs/`);
});

test('the checks can fail: a broken link, a missing heading and a link leading out are found', () => {
  const page = join(DOCS, 'example.md');
  const md = '# Title\n\n[ok](#title) [no](#untitled) [file](../README.md#results) ![img](../images/none.png) [gone](nowhere.md)\n' +
    '[head](../README.md#no-such-heading) [out](../../etc/passwd) `[--flag N](code)` [web](https://example.com)\n';
  assert.deepEqual(brokenLinks(page, md).map((b) => b.replace(/^[^ ]+ /, '')), [
    '#untitled (no heading #untitled on this page)',
    '../images/none.png (no such file)',
    'nowhere.md (no such file)',
    '../README.md#no-such-heading (no heading #no-such-heading in README.md)',
    '../../etc/passwd (leads out of the project)',
  ]);
  assert.equal(slug('Native TensorFlow (tfjs-node-gpu), as it stands'), 'native-tensorflow-tfjs-node-gpu-as-it-stands');
  assert.deepEqual(fencedBlocks('a\n```\nusage: x\n  y \n```\n').map((b) => b.text), ['usage: x\n  y ']);
});
