// `wasmbpf new` end to end, through the CLI as a user types it: the scaffolded tool compiles
// with `wasmbpf compile` and runs with `wasmbpf run` as is, printing an exec the test makes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureTracefs, ROOT, runCommand, ToolRun } from '../helpers/examples.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

const WASMBPF = path.join(ROOT, 'bin/wasmbpf');

test('a tool made by wasmbpf new compiles and runs unchanged', { ...root.options, timeout: 120000 }, async (t) => {
  t.after(ensureTracefs());
  const parent = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-new-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const name = 'hello-exec';
  const made = execFileSync(WASMBPF, ['new', '--dir', parent, name], { encoding: 'utf8' });
  assert.match(made, new RegExp(`Created .*${name}/: ${name}\\.bpf\\.c, ${name}\\.c, ${name}\\.h, README\\.md, wasmbpf\\.json`));

  const dir = path.join(parent, name);
  const compiled = execFileSync(WASMBPF, ['compile', dir], { encoding: 'utf8' });
  const wasm = path.join(dir, 'build', `${name}.wasm`);
  assert.match(compiled, new RegExp(`^${name}: ${wasm.replace(/[.]/g, '\\.')}$`, 'm'));
  assert.match(compiled, /eBPF object \(x86_64\): .*hello-exec\.x86_64\.bpf\.o/);
  assert.match(compiled, /eBPF object \(arm64\): .*hello-exec\.arm64\.bpf\.o/);

  const run = new ToolRun(wasm, ['-p', String(process.pid)], ['handle_exec']);
  t.after(() => run.kill());
  await run.waitFor(/^PID\s+PPID\s+COMM$/m);
  const child = await runCommand('/bin/true', []);
  await run.waitFor(new RegExp(`^${child.pid}\\s+${process.pid}\\s+true$`, 'm'));
  await run.stopAndCheck();
});
