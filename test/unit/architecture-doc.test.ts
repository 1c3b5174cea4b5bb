// docs/ARCHITECTURE.md is the map of the code: every file it names must exist (a name may be
// given from the repository's root or from any folder, e.g. `bpf/tcx.ts` or `worker.ts`), and it
// links nothing outside the repository, so a move or a rename that forgets the map fails here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');
const doc = fs.readFileSync(path.join(root, 'docs/ARCHITECTURE.md'), 'utf8');
const FILE_NAME = /(?<![\w./-])((?:[\w.-]+\/)*[\w-]+(?:\.[\w-]+)*\.(?:ts|md|json|c|h|svg))(?![\w/])/g;

function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

test('every file docs/ARCHITECTURE.md names exists', () => {
  const files = repositoryFiles();
  const names = new Set([...doc.matchAll(FILE_NAME)].map((m) => m[1]!));
  assert.ok(names.size > 40, `the map names only ${names.size} files`);
  const missing = [...names].filter((name) => !files.some((f) => f === name || f.endsWith(`/${name}`)));
  assert.deepEqual(missing, [], 'files docs/ARCHITECTURE.md names that are not in the repository');
});

test('docs/ARCHITECTURE.md links nothing outside the repository', () => {
  const outside = [...doc.matchAll(/\]\(([^)]+)\)|(\.\.\/[\w./-]+)|(https?:\/\/\S+)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]!)
    .filter((target) => /^(https?:|\.\.\/\.\.|\/)/.test(target) || target.startsWith('../shared'));
  assert.deepEqual(outside, []);
});
