// The storage boundary (docs/ARCHITECTURE.md "The storage library and its dialect"): every
// difference between the servers lives in libs/storage, so no other file under apps/ or libs/
// names FerretDB — code, comments or strings. Apps speak of the storage dialect ("the point-read
// dialect", "servers that read only by _id"). Test files are exempt: they force and name dialects.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const STORAGE = join(ROOT, 'libs', 'storage');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage']);
const TEST_FILE = /\.(spec|int-spec)\.ts$/;
const SERVER_NAME = /ferretdb/i;

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && path !== STORAGE) yield* filesUnder(path);
    } else if (entry.isFile() && !TEST_FILE.test(entry.name)) {
      yield path;
    }
  }
}

it('keeps every mention of FerretDB in apps/ and libs/ inside libs/storage (test files aside)', () => {
  const offences: string[] = [];
  for (const top of ['apps', 'libs']) {
    for (const file of filesUnder(join(ROOT, top))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (SERVER_NAME.test(line)) offences.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  expect(offences).toEqual([]);
});
