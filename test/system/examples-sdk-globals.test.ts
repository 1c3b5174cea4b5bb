// The guest header's global data after load (wasmbpf.h): a tool reads a .bss counter the eBPF
// program increments (wasmbpf_global_read) and turns the program off by writing a .data flag
// (wasmbpf_global_write). Built from the `wasmbpf new` template with the two globals added.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { compileTool, type CompiledTool } from '../../sdk/toolchain/compile.ts';
import { scaffoldTool } from '../../sdk/toolchain/scaffold.ts';
import { ensureTracefs, runCommand, ToolRun } from '../helpers/examples.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

let parent: string;
let tool: CompiledTool;

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${path.basename(file)} has '${from}'`);
  writeFileSync(file, text.replace(from, to));
}

root.before(async () => {
  parent = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-globals-'));
  const { dir } = await scaffoldTool('globals', parent);
  const bpf = path.join(dir, 'globals.bpf.c');
  edit(bpf, 'const volatile __u32 targ_ppid = 0;', 'const volatile __u32 targ_ppid = 0;\n__u64 exec_count = 0;   /* .bss */\n__u32 enabled = 1;      /* .data */');
  edit(bpf, '\tstruct event *e = bpf_ringbuf_reserve', '\tif (!enabled)\n\t\treturn 0;\n\t__sync_fetch_and_add(&exec_count, 1);\n\tstruct event *e = bpf_ringbuf_reserve');
  const guest = path.join(dir, 'globals.c');
  edit(guest, '#include "libbpf-wasm.h"', '#include "wasmbpf.h"');
  edit(guest, `\twhile ((err = bpf_buffer__poll(buf, 100)) >= 0)\n\t\t;`, `\t__u64 last = 0;
\twhile ((err = bpf_buffer__poll(buf, 100)) >= 0) {
\t\tif ((err = wasmbpf_global_read(skel->maps.bss)) < 0)
\t\t\tbreak;
\t\tif (skel->bss->exec_count != last) {
\t\t\tlast = skel->bss->exec_count;
\t\t\tprintf("count=%llu\\n", (unsigned long long)last);
\t\t}
\t\tif (last >= 3 && skel->data->enabled) {
\t\t\tskel->data->enabled = 0;
\t\t\tif ((err = wasmbpf_global_write(skel->maps.data)) < 0)
\t\t\t\tbreak;
\t\t\tprintf("disabled at %llu\\n", (unsigned long long)last);
\t\t}
\t}`);
  tool = await compileTool(dir, { arches: [] });
});
root.after(() => rmSync(parent, { recursive: true, force: true }));

test('.bss is read and .data written after load through wasmbpf.h', { ...root.options, timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(tool.wasmPath, ['-p', String(process.pid)], ['handle_exec']);
  t.after(() => run.kill());
  await run.waitFor(/^PID\s+PPID\s+COMM$/m);
  for (let i = 0; i < 3; i++) await runCommand('/bin/true', []);
  await run.waitFor(/^count=3$/m);
  await run.waitFor(/^disabled at 3$/m);
  // The program now sees enabled == 0: later execs are neither counted nor reported.
  for (let i = 0; i < 3; i++) await runCommand('/bin/true', []);
  await new Promise((r) => setTimeout(r, 600));
  await run.stopAndCheck();
  const counts = [...run.stdout.matchAll(/^count=(\d+)$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(counts.at(-1), 3, `counts seen: ${counts.join(', ')}`);
  const events = run.stdout.split('\n').filter((l) => new RegExp(`^\\d+\\s+${process.pid}\\s+true$`).test(l));
  assert.equal(events.length, 3, run.stdout);
});
