// The layers' import rules (docs/ARCHITECTURE.md), checked on every `npm test`: imports point
// down only, ttrpc/ and oci-spec/ stand alone (they may use only errors/, which imports
// nothing), other layers reach runtime/ only through its surface (runtime/index.ts), and no
// module imports itself in a cycle.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SOURCE_DIRS } from '../../cli/install/launchers.ts';

const root = path.resolve(import.meta.dirname, '../..');
const LAYERS = ['cli', 'shim', 'container', 'image', 'runtime', 'sdk', 'ttrpc', 'oci-spec', 'errors'] as const;
type Layer = (typeof LAYERS)[number];

/** Which layers each layer may import (values); type-only imports may also reach `typeOnly`. */
const ALLOWED: Record<Layer, { values: Layer[]; typeOnly?: Layer[] }> = {
  cli: { values: ['shim', 'container', 'image', 'runtime', 'sdk', 'oci-spec', 'errors'] },
  shim: { values: ['ttrpc', 'container', 'runtime', 'image', 'oci-spec', 'errors'] },
  container: { values: ['runtime', 'image', 'oci-spec', 'errors'] },
  image: { values: ['oci-spec', 'sdk', 'errors'], typeOnly: ['runtime'] },
  runtime: { values: ['oci-spec', 'errors'] },
  sdk: { values: ['oci-spec', 'errors'] },
  ttrpc: { values: ['errors'] },
  'oci-spec': { values: ['errors'] },
  errors: { values: [] },
};

function sources(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

function edges(file: string): { target: string; typeOnly: boolean }[] {
  const text = fs.readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4]!;
    out.push({ target: path.resolve(path.dirname(file), spec), typeOnly: Boolean(m[2]) });
  }
  return out;
}

function layerOf(file: string): Layer | undefined {
  const top = path.relative(root, file).split(path.sep)[0];
  return (LAYERS as readonly string[]).includes(top!) ? (top as Layer) : undefined;
}

test('imports point down the layers only', () => {
  const violations: string[] = [];
  for (const layer of LAYERS) {
    for (const file of sources(path.join(root, layer))) {
      for (const e of edges(file)) {
        const to = layerOf(e.target);
        if (!to || to === layer) continue;
        const rule = ALLOWED[layer];
        if (rule.values.includes(to) || (e.typeOnly && rule.typeOnly?.includes(to))) continue;
        violations.push(`${path.relative(root, file)} -> ${path.relative(root, e.target)}`);
      }
    }
  }
  assert.deepEqual(violations, [], 'upward or sideways imports');
});

/** The one file of runtime/ other layers may import: importing it loads no libbpf (runtime/index.ts). */
const RUNTIME_SURFACE = path.join(root, 'runtime', 'index.ts');

test('other layers import the runtime through its surface only', () => {
  const deep: string[] = [];
  for (const layer of LAYERS) {
    if (layer === 'runtime') continue;
    for (const file of sources(path.join(root, layer))) {
      for (const e of edges(file)) {
        if (layerOf(e.target) === 'runtime' && e.target !== RUNTIME_SURFACE) deep.push(`${path.relative(root, file)} -> ${path.relative(root, e.target)}`);
      }
    }
  }
  assert.deepEqual(deep, [], 'imports of runtime/ internals');
});

/** runtime/bpf/ is the libbpf layer: of the rest of runtime/ it may use only the errno module (runtime/errno.ts). */
test("runtime/bpf/ knows nothing of the guest's ABI or the runtime above it", () => {
  const bpf = path.join(root, 'runtime', 'bpf');
  const allowed = new Set([path.join(root, 'runtime', 'errno.ts')]);
  const upward: string[] = [];
  for (const file of sources(bpf)) {
    for (const e of edges(file)) {
      if (layerOf(e.target) !== 'runtime' || e.target.startsWith(bpf + path.sep) || allowed.has(e.target)) continue;
      upward.push(`${path.relative(root, file)} -> ${path.relative(root, e.target)}`);
    }
  }
  assert.deepEqual(upward, [], 'imports from runtime/bpf/ into the rest of runtime/');
});

test('the layers are what the build compiles and the launchers watch', () => {
  const build = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  assert.deepEqual([...build.include].sort(), [...LAYERS].sort(), 'tsconfig.build.json include');
  assert.deepEqual([...SOURCE_DIRS].sort(), [...LAYERS].sort(), 'cli/install/launchers.ts SOURCE_DIRS');
  for (const launcher of ['wasmbpf', 'containerd-shim-wasmbpf-v1']) {
    const text = fs.readFileSync(path.join(root, 'bin', launcher), 'utf8');
    const watched = [...text.matchAll(/"\$root\/([a-z-]+)"/g)].map((m) => m[1]!);
    assert.deepEqual([...new Set(watched)].sort(), [...LAYERS].sort(), `bin/${launcher}: the sources it compares with dist/.stamp`);
  }
});

test('no import cycles between modules', () => {
  const graph = new Map<string, string[]>();
  for (const layer of LAYERS) {
    for (const file of sources(path.join(root, layer))) {
      graph.set(file, edges(file).filter((e) => !e.typeOnly).map((e) => e.target));
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map((p) => path.relative(root, p)).join(' -> '));
      return;
    }
    state.set(f, 'visiting');
    for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});
