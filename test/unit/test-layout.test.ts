// The tests' own layout (docs/testing.md), checked on every `npm test` so there stays one
// convention: test files only under test/unit, test/system and integration; every other
// TypeScript file the suites use is a helper in test/helpers; test/fixtures holds sources to
// build, not TypeScript; and helpers import no test file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');

/** Every .ts file under dir (relative to the repository). */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

test('test files live in the three suites; every other test TypeScript file is a helper in test/helpers', () => {
  const misplaced = [...tsFiles('test'), ...tsFiles('integration')].filter((file) => {
    if (file.endsWith('.test.ts')) return !/^(test\/unit|test\/system|integration)\/[^/]+\.test\.ts$/.test(file);
    // the kernel matrix's own tool (test/kernels/kernel-btf.ts) runs in its build script, not under node:test
    return !/^test\/helpers\/[^/]+\.ts$/.test(file) && !file.startsWith('test/kernels/');
  });
  assert.deepEqual(misplaced, []);
});

test('helpers import no test file', () => {
  const importing = tsFiles('test/helpers').filter((file) => /from '[^']*\.test\.ts'/.test(fs.readFileSync(path.join(root, file), 'utf8')));
  assert.deepEqual(importing, []);
});
