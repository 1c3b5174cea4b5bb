// The guest header's explicit attach calls (wasmbpf.h) on the real kernel: a tracepoint
// attached by category and name instead of from its section, and a cgroup_skb program attached
// to a cgroup v2 directory given by path, whose packet counter (.bss) rises as a process in
// that cgroup sends datagrams. Built from the `wasmbpf new` template with those changes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { compileTool, type CompiledTool } from '../../sdk/toolchain/compile.ts';
import { scaffoldTool } from '../../sdk/toolchain/scaffold.ts';
import { ensureTracefs, runCommand, ToolRun, uniqueToken } from '../helpers/examples.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

const CGROUP2 = '/sys/fs/cgroup/unified'; // this machine's cgroup v2 hierarchy (hybrid layout)
let parent: string;
let tool: CompiledTool;

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${path.basename(file)} has '${from}'`);
  writeFileSync(file, text.replace(from, to));
}

root.before(async () => {
  parent = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-attach-'));
  const { dir } = await scaffoldTool('attach', parent);
  const bpf = path.join(dir, 'attach.bpf.c');
  edit(bpf, 'char LICENSE[]', `__u64 egress_packets = 0;

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&egress_packets, 1);
	return 1; /* let it through */
}

char LICENSE[]`);
  const guest = path.join(dir, 'attach.c');
  edit(guest, '#include "libbpf-wasm.h"', '#include "wasmbpf.h"');
  edit(guest, `	err = attach_bpf__attach(skel);`, `	err = 0;
	if (!bpf_program__attach_tracepoint(skel->progs.handle_exec, "sched", "sched_process_exec"))
		err = -errno;
	if (!err && !wasmbpf_attach_cgroup(skel->progs.count_egress, getenv("CGROUP")))
		err = -errno;`);
  edit(guest, `	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;`, `	__u64 last = 0;
	while ((err = bpf_buffer__poll(buf, 100)) >= 0) {
		if ((err = wasmbpf_global_read(skel->maps.bss)) < 0)
			break;
		if (skel->bss->egress_packets != last)
			printf("egress=%llu\\n", (unsigned long long)(last = skel->bss->egress_packets));
	}`);
  tool = await compileTool(dir, { arches: [] });
});
root.after(() => rmSync(parent, { recursive: true, force: true }));

test('explicit tracepoint and cgroup attach through wasmbpf.h', { timeout: 60000, skip: root.skip || (existsSync(CGROUP2) ? false : `no cgroup v2 at ${CGROUP2}`) }, async (t) => {
  t.after(ensureTracefs());
  const cgroup = path.join(CGROUP2, uniqueToken('wasmbpf-attach'));
  mkdirSync(cgroup);
  t.after(() => rmdirSync(cgroup));
  const run = new ToolRun(tool.wasmPath, ['-p', String(process.pid)], ['handle_exec', 'count_egress'], ['-e', `CGROUP=${cgroup}`]);
  t.after(() => run.kill());
  await run.waitFor(/^PID\s+PPID\s+COMM$/m);
  const loaded = run.newProgramNames();
  assert.ok(loaded.includes('count_egress') && loaded.includes('handle_exec'), `loaded: ${loaded.join(', ')}`);

  // The tracepoint, attached by name, sees this exec.
  const child = await runCommand('/bin/true', []);
  await run.waitFor(new RegExp(`^${child.pid}\\s+${process.pid}\\s+true$`, 'm'));

  // A shell moves itself into the cgroup, then sends 5 datagrams: all leave through it.
  const sender = await runCommand('/bin/bash', ['-c', `echo $$ > ${cgroup}/cgroup.procs && for i in 1 2 3 4 5; do echo x > /dev/udp/127.0.0.1/9; done`]);
  assert.equal(sender.code, 0);
  await run.waitFor(/^egress=([5-9]|\d\d+)$/m);
  await run.stopAndCheck();
});
