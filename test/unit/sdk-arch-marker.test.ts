// The .wasmbpf.arch marker: an object built for arm64 says so in its ELF, readObjectArch reads
// it back, and libbpf (through bpftool, libbpf 1.1) takes the marked object without a word.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readElfSections, readObjectArch } from '../../oci-spec/ebpf-object.ts';
import { targetArchDefine } from '../../oci-spec/arch.ts';
import { addArchMarker } from '../../sdk/toolchain/arch-marker.ts';

// Needs no vmlinux.h: only the UAPI headers libbpf-dev and linux-libc-dev provide.
const SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
const volatile int min = 0;
SEC("tp/sched/sched_process_exec")
int handle(void *ctx) { return min; }
char LICENSE[] SEC("license") = "GPL";
`;

test('an arm64 and an x86_64 object carry their architecture, and libbpf accepts them', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-arch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = path.join(dir, 'm.bpf.c');
  writeFileSync(src, SOURCE);
  for (const arch of ['x86_64', 'arm64'] as const) {
    const raw = path.join(dir, `m.${arch}.raw.o`);
    const out = path.join(dir, `m.${arch}.bpf.o`);
    execFileSync('clang-19', ['-g', '-O2', '-target', 'bpf', `-D${targetArchDefine(arch)}`, '-idirafter', '/usr/include/x86_64-linux-gnu', '-c', src, '-o', raw]);
    assert.equal(readObjectArch(readFileSync(raw)), undefined, 'an unmarked object has no architecture');
    await addArchMarker(raw, out, arch);
    const bytes = readFileSync(out);
    assert.equal(readObjectArch(bytes), arch);
    const section = readElfSections(bytes).sections.find((s) => s.name === '.wasmbpf.arch');
    assert.equal(section?.type, 3, 'a string table, which libbpf skips silently');

    // libbpf parses the whole object for a skeleton; -d shows every section it looks at.
    const gen = spawnSync('bpftool', ['-d', 'gen', 'skeleton', out, 'name', 'm_bpf'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    assert.match(gen.stdout, /struct m_bpf \{/);
    assert.doesNotMatch(gen.stderr, /wasmbpf\.arch/, 'libbpf did not even mention the marker');
  }
});
