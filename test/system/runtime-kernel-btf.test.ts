// Kernels without BTF: a tool whose build file names this kernel in "btf" gets the part of its
// BTF that the object's CO-RE relocations need, as a .wasmbpf.btf.RELEASE section; where the
// kernel's own BTF is missing (here: the runtime is pointed at a path that does not exist, as
// this machine has /sys/kernel/btf/vmlinux), libbpf relocates against that section. Shown by
// loading with it intact (loads) and with it corrupted (libbpf cannot parse it: the load fails).
// The real thing, a guest whose BTF is hidden, is in npm run test:kernels (docs/portability.md).
import assert from 'node:assert/strict';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readElfSections, readObjectArch, readObjectBtfs, BTF_SECTION_PREFIX } from '../../oci-spec/ebpf-object.ts';
import { BpfObject } from '../../runtime/bpf/bpf-object.ts';
import { btfHint } from '../../runtime/bpf/kernel-btf.ts';
import { closeLogSink, installLibbpfLogRouter, LibbpfLogClient, openLogSink } from '../../runtime/bpf/libbpf-log.ts';
import { ResourceLedger } from '../../runtime/bpf/resource-ledger.ts';
import { compileTool } from '../../sdk/toolchain/compile.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

const ROOT = path.resolve(import.meta.dirname, '../..');
const release = os.release();
const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-btf-test-'));
const stderrFd = openSync('/dev/null', 'w');
const sink = openLogSink(stderrFd);
const client = new LibbpfLogClient(installLibbpfLogRouter(), sink);
const runLogged = <T>(fn: () => T) => client.run(fn);
after(() => {
  closeLogSink(sink);
  closeSync(stderrFd);
  rmSync(dir, { recursive: true, force: true });
});

// execsnoop, told that this kernel (x86_64 objects only) needs its BTF carried along.
cpSync(path.join(ROOT, 'examples/execsnoop'), dir, { recursive: true, filter: (src) => !src.includes('/build') });
const buildFile = JSON.parse(readFileSync(path.join(dir, 'wasmbpf.json'), 'utf8')) as Record<string, unknown>;
buildFile.btf = [{ arch: 'x86_64', release, path: '/sys/kernel/btf/vmlinux' }];
writeFileSync(path.join(dir, 'wasmbpf.json'), JSON.stringify(buildFile));
const tool = await compileTool(dir, { arches: ['x86_64', 'arm64'] });
const objectOf = (arch: string) => new Uint8Array(readFileSync(tool.objects.find((o) => o.arch === arch)!.path));

function btfTempDirs(): string[] {
  return readdirSync(os.tmpdir()).filter((n) => n.startsWith('wasmbpf-btf-') && !n.startsWith('wasmbpf-btf-test-'));
}

test('the x86_64 object carries a small BTF for this release; the arm64 object none', () => {
  const btfs = readObjectBtfs(objectOf('x86_64'));
  assert.deepEqual([...btfs.keys()], [release]);
  const btf = btfs.get(release)!;
  assert.equal(btf[0] | (btf[1]! << 8), 0xeb9f, 'BTF magic');
  assert.ok(btf.length < 4096, `min_core_btf keeps only what the relocations need, not ${btf.length} bytes`);
  assert.equal(readObjectBtfs(objectOf('arm64')).size, 0);
  // added in the marker's objcopy run: a later run would have emptied the marker
  assert.equal(readObjectArch(objectOf('x86_64')), 'x86_64');
  assert.equal(readObjectArch(objectOf('arm64')), 'arm64');
});

test('without kernel BTF, the object loads with its own; a corrupt one fails the load', root.options, () => {
  const bytes = objectOf('x86_64');
  const before = btfTempDirs();
  const good = BpfObject.open(bytes, runLogged, new ResourceLedger(), 'execsnoop', '/nonexistent/vmlinux');
  try {
    good.load();
  } finally {
    good.close();
  }
  const section = readElfSections(bytes).sections.find((s) => s.name === `${BTF_SECTION_PREFIX}${release}`)!;
  const bad = bytes.slice();
  bad.fill(0, section.offset, section.offset + 24); // the BTF header: magic, version, lengths
  const broken = BpfObject.open(bad, runLogged, new ResourceLedger(), 'execsnoop', '/nonexistent/vmlinux');
  try {
    assert.throws(() => broken.load(), (err: Error & { log?: string }) => err.message.startsWith('cannot load eBPF object'));
  } finally {
    broken.close();
  }
  // With the kernel's own BTF in place the section is not even looked at.
  const ignored = BpfObject.open(bad, runLogged, new ResourceLedger(), 'execsnoop');
  try {
    ignored.load();
  } finally {
    ignored.close();
  }
  assert.deepEqual(btfTempDirs(), before, 'the BTF files written for libbpf are removed');
});

test('the load error says what BTF is missing', () => {
  assert.equal(btfHint(objectOf('x86_64')), '');
  assert.match(btfHint(objectOf('x86_64'), '/nonexistent/vmlinux', '9.9.9-other'),
    new RegExp(`this kernel \\(9\\.9\\.9-other\\) has no BTF at /nonexistent/vmlinux and the object carries none for it \\(it has BTF for: ${release.replace(/[.+]/g, '\\$&')}\\)`));
  assert.match(btfHint(objectOf('arm64'), '/nonexistent/vmlinux'), /carries none for it \(build it with "btf" in wasmbpf\.json/);
});
