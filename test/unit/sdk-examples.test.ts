// Every example builds for x86_64 and arm64 without root; each object's ELF reports its
// architecture; and each module imports exactly the host modules its headers promise (tools
// on libbpf-wasm.h alone stay runnable on the reference wasm-bpf runtime).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readObjectArch } from '../../oci-spec/ebpf-object.ts';
import { compileTool } from '../../sdk/toolchain/compile.ts';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
const out = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-examples-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** Which tools call wasmbpf_v1 extensions, and which. (runqlat includes wasmbpf.h only for
 * wasmbpf_sleep_ms, which is WASI: including the header imports nothing by itself.) */
const USES_V1: Record<string, string> = {
  biolatency: 'set_autoload, wasmbpf_sleep_ms',
  pktcount: 'set_autoload, xdp/tc attach, num_possible_cpus',
  uprobe: 'uprobe attach by function name',
  sockfilter: 'open_raw_socket, socket attach',
};

const names = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(path.join(EXAMPLES, e.name, 'wasmbpf.json')))
  .map((e) => e.name)
  .sort();

test('the catalogue has the eleven tools', () => {
  assert.deepEqual(names, ['biolatency', 'bootstrap', 'execsnoop', 'fentry', 'kprobe', 'lsm', 'opensnoop', 'pktcount', 'runqlat', 'sockfilter', 'uprobe']);
});

for (const name of names) {
  test(`${name}: x86_64 and arm64 objects build and say which they are`, { timeout: 60000 }, async () => {
    const tool = await compileTool(path.join(EXAMPLES, name), { arches: ['x86_64', 'arm64'], outDir: path.join(out, name) });
    assert.deepEqual(tool.objects.map((o) => o.arch), ['x86_64', 'arm64']);
    for (const o of tool.objects) {
      assert.equal(readObjectArch(readFileSync(o.path)), o.arch, `${path.basename(o.path)}`);
      assert.equal(o.name, `${name}.bpf.o`);
    }
    const mod = new WebAssembly.Module(readFileSync(tool.wasmPath));
    const modules = [...new Set(WebAssembly.Module.imports(mod).map((i) => i.module))].sort();
    const expected = ['wasi_snapshot_preview1', 'wasm_bpf', ...(USES_V1[name] ? ['wasmbpf_v1'] : [])];
    assert.deepEqual(modules, expected, USES_V1[name] ?? 'libbpf-wasm.h only');
  });
}
