// The error model (errors/): every error class of the tree descends from WasmbpfError, and the
// union of codes in errors/codes.ts holds exactly the codes the tree uses. The type checker
// already refuses a code outside the union; this scan catches what it cannot see: a class that
// extends Error (or a subclass of it) directly, an Error with a code pasted on, a code a cast
// hid from it, and a code left in the union after its last use.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');
const SKIP = new Set(['node_modules', 'dist', '.git']);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const files = sources(root).map((file) => ({ file: path.relative(root, file), text: fs.readFileSync(file, 'utf8') }));
const code = files.filter((f) => !f.file.endsWith('.test.ts'));
const CODES_FILE = path.join('errors', 'codes.ts');

/** Every `class A extends B` of the tree, as A -> B (with where A is declared). */
function classParents(): Map<string, { parent: string; file: string }> {
  const parents = new Map<string, { parent: string; file: string }>();
  for (const { file, text } of files) {
    for (const m of text.matchAll(/\bclass\s+(\w+)(?:<[^>{]*>)?\s+extends\s+([\w.]+)/g)) parents.set(m[1]!, { parent: m[2]!, file });
  }
  return parents;
}

test('every error class of the tree descends from WasmbpfError', () => {
  const parents = classParents();
  const strays: string[] = [];
  for (const [name, { file }] of parents) {
    if (name === 'WasmbpfError') continue;
    const chain = [name];
    let at = name;
    while (parents.has(at) && !chain.includes(parents.get(at)!.parent)) chain.push((at = parents.get(at)!.parent));
    // A chain that leaves the tree at a built-in error class (Error, TypeError, ...) is an error class.
    const isError = /Error$/.test(at) && !parents.has(at);
    if (isError && !chain.includes('WasmbpfError')) strays.push(`${file}: ${chain.join(' -> ')}`);
  }
  assert.deepEqual(strays, [], 'error classes that do not extend WasmbpfError');
  assert.ok(parents.size > 50, 'the scan found the classes');
});

test('no Error is given a WASMBPF_ code by hand', () => {
  const pasted = code.filter(({ text }) => /Object\.assign\(\s*new \w*Error\([\s\S]{0,400}?code:\s*'WASMBPF_/.test(text)).map((f) => f.file);
  assert.deepEqual(pasted, [], 'throw a WasmbpfError subclass instead');
});

const declared = [...fs.readFileSync(path.join(root, CODES_FILE), 'utf8').matchAll(/'(WASMBPF_[A-Z0-9_]+)'/g)].map((m) => m[1]!);

test('every code an error is given is in the union', () => {
  // `readonly code = 'X'`, `new SomeError('X', ...)`, `super('X', ...)`, a ternary of codes.
  const given = /(?:code = |Error\(\s*|super\(\s*|(?<!\?)\? |: )'(WASMBPF_[A-Z0-9_]+)'/g;
  const unknown = code.flatMap(({ file, text }) => [...text.matchAll(given)].map((m) => m[1]!).filter((c) => !declared.includes(c)).map((c) => `${file}: ${c}`));
  assert.deepEqual(unknown, [], 'codes missing from errors/codes.ts');
});

test('the union of codes holds exactly the codes the tree uses', () => {
  assert.equal(new Set(declared).size, declared.length, 'a code is declared twice');
  const users = code.filter((f) => f.file !== CODES_FILE && f.file !== path.join('shim', 'error-status.ts'));
  const unused = declared.filter((c) => !users.some(({ text }) => text.includes(`'${c}'`)));
  assert.deepEqual(unused, [], 'codes no error uses any more: remove them from errors/codes.ts');
});
