import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWrite } from '../../lib/util/atomicWrite';

test('a full disk is named with the file and what to do, and the old content stays', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'mnist20k-write-')), 'checkpoint.json');
  writeFileSync(file, 'good');
  // The temporary name leads to /dev/full, where every write fails with ENOSPC.
  symlinkSync('/dev/full', `${file}.${process.pid}.tmp`);
  assert.throws(() => atomicWrite(file, 'new'), new RegExp(`^Error: ${file}: cannot write \\(no space left on device\\); free some disk space$`));
  assert.equal(readFileSync(file, 'utf8'), 'good');
  assert.equal(existsSync(`${file}.${process.pid}.tmp`), false, 'no temporary left');
  atomicWrite(file, 'new');
  assert.equal(readFileSync(file, 'utf8'), 'new');
});
