// Guest code written against libbpf's own buffer APIs compiles and runs on the guest header:
// ring_buffer__new/poll/free (libbpf-bootstrap's style; poll returns the record count) on the
// `wasmbpf new` template, and perf_buffer__new/poll/free (a perf callback with a cpu argument)
// on a copy of the opensnoop example.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { compileTool, type CompiledTool } from '../../sdk/toolchain/compile.ts';
import { scaffoldTool } from '../../sdk/toolchain/scaffold.ts';
import { ensureTracefs, ROOT, runCommand, ToolRun, uniqueToken } from '../helpers/examples.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

let parent: string;
let ringTool: CompiledTool;
let perfTool: CompiledTool;

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${path.basename(file)} has '${from}'`);
  writeFileSync(file, text.replace(from, to));
}

root.before(async () => {
  parent = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-compat-'));
  const { dir } = await scaffoldTool('ringcompat', parent);
  const guest = path.join(dir, 'ringcompat.c');
  edit(guest, '\tstruct bpf_buffer *buf = NULL;', '\tstruct ring_buffer *rb = NULL;');
  edit(guest, `	buf = bpf_buffer__new(skel->maps.events, NULL);
	err = buf ? bpf_buffer__open(buf, handle_event, NULL, NULL) : -errno;`, `	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	err = rb ? 0 : -errno;`);
  edit(guest, 'static int handle_event(void *ctx, void *data, size_t size)\n{', 'static int handled;\n\nstatic int handle_event(void *ctx, void *data, size_t size)\n{\n\thandled++;');
  edit(guest, `	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;`, `	for (;;) {
		int before = handled;
		if ((err = ring_buffer__poll(rb, 100)) < 0)
			break;
		if (err > 0 || handled != before)
			printf("polled=%d handled=%d\\n", err, handled - before);
	}`);
  edit(guest, '\tbpf_buffer__free(buf);', '\tring_buffer__free(rb);');
  ringTool = await compileTool(dir, { arches: [] });

  const snoop = path.join(parent, 'opensnoop');
  const example = path.join(ROOT, 'examples/opensnoop');
  cpSync(example, snoop, { recursive: true, filter: (src) => path.relative(example, src).split(path.sep)[0] !== 'build' });
  const c = path.join(snoop, 'opensnoop.c');
  edit(c, 'static int handle_event(void *ctx, void *data, size_t size)\n{', 'static void handle_event(void *ctx, int cpu, void *data, __u32 size)\n{\n\t(void)cpu;');
  edit(c, '\tif (size < sizeof(*e))\n\t\treturn 0;', '\tif (size < sizeof(*e))\n\t\treturn;');
  edit(c, '\tprintf("%-6u %-16s %3d %3d %s\\n", e->pid, e->comm, fd, err, e->fname);\n\treturn 0;', '\tprintf("%-6u %-16s %3d %3d %s\\n", e->pid, e->comm, fd, err, e->fname);');
  edit(c, '\tstruct bpf_buffer *pb = NULL;', '\tstruct perf_buffer *pb = NULL;');
  edit(c, `	pb = bpf_buffer__new(obj->maps.events, NULL);
	err = pb ? bpf_buffer__open(pb, handle_event, NULL, NULL) : -errno;`, `	pb = perf_buffer__new(bpf_map__fd(obj->maps.events), 64, handle_event, NULL, NULL, NULL);
	err = pb ? 0 : -errno;`);
  edit(c, '(err = bpf_buffer__poll(pb, 100)) >= 0', '(err = perf_buffer__poll(pb, 100)) >= 0');
  edit(c, '\tbpf_buffer__free(pb);', '\tperf_buffer__free(pb);');
  perfTool = await compileTool(snoop, { arches: [] });
});
root.after(() => rmSync(parent, { recursive: true, force: true }));

test('ring_buffer__* delivers every record and poll counts them', { ...root.options, timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(ringTool.wasmPath, ['-p', String(process.pid)], ['handle_exec']);
  t.after(() => run.kill());
  await run.waitFor(/^PID\s+PPID\s+COMM$/m);
  const pids: number[] = [];
  for (let i = 0; i < 3; i++) pids.push((await runCommand('/bin/true', [])).pid);
  for (const pid of pids) await run.waitFor(new RegExp(`^${pid}\\s+${process.pid}\\s+true$`, 'm'));
  await run.stopAndCheck();
  // Each poll returned exactly the number of records it handed to the callback.
  const polls = [...run.stdout.matchAll(/^polled=(\d+) handled=(\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
  for (const [polled, handled] of polls) assert.equal(polled, handled, run.stdout);
  assert.ok(polls.reduce((sum, [polled]) => sum + polled, 0) >= 3, run.stdout);
});

test('perf_buffer__* delivers records to a libbpf perf callback', { ...root.options, timeout: 60000 }, async (t) => {
  t.after(ensureTracefs());
  const run = new ToolRun(perfTool.wasmPath, ['-n', 'cat'], ['tracepoint__syscalls__sys_enter_openat']);
  t.after(() => run.kill());
  await run.waitFor(/^PID\s+COMM\s+FD ERR PATH$/m);
  const missing = `/tmp/${uniqueToken('wasmbpf-perfcompat')}`;
  const cat = await runCommand('/bin/cat', [missing]);
  await run.waitFor(new RegExp(`^${cat.pid}\\s+cat\\s+-1\\s+2 ${missing}$`, 'm'));
  await run.stopAndCheck();
});
