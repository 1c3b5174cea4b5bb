// Two modules side by side, as two containers of a pod are in one shim: module A may not reach
// module B's maps, objects or sockets, whatever numbers it guesses. Each host instance is what one
// module's worker runs; both live in this one process, as both workers live in the shim, so B's
// host fds are real fds of the process A could try to name.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { WasmBpfHost } from '../../runtime/wasm/wasm-bpf-host.ts';
import { WASI_ERRNO as E } from '../../runtime/errno.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../helpers/runtime-fixtures.ts';
import { leftAfterRelease } from '../helpers/bpf-state.ts';
import { QuietLibbpfLog } from '../helpers/in-process-host.ts';
import { rootOnly } from '../helpers/root.ts';

const root = rootOnly('loads eBPF programs');

let fx: RuntimeFixtures;
let log: QuietLibbpfLog;
root.before(() => {
  fx = buildRuntimeFixtures();
  log = new QuietLibbpfLog();
});
root.after(() => {
  log.close();
  fs.rmSync(fx.dir, { recursive: true, force: true });
});

type Imports = Record<string, Record<string, (...a: unknown[]) => unknown>>;
const NAME_AT = 1000, KEY_AT = 2000, VALUE_AT = 2100, OBJECT_AT = 65536;

interface Module {
  imports: Imports;
  mem: Uint8Array;
  host: WasmBpfHost;
  handle: bigint;
  fd(mapName: string): number;
  close(): void;
}

/** One module's host with the probe object loaded, its guest memory driven from here. */
function module(): Module {
  const { host } = log.host();
  const memory = new WebAssembly.Memory({ initial: 4 });
  host.bind({ exports: { memory, __indirect_function_table: new WebAssembly.Table({ initial: 4, element: 'anyfunc' }) } } as unknown as WebAssembly.Instance);
  const imports = host.imports() as Imports;
  const mem = new Uint8Array(memory.buffer);
  const object = fs.readFileSync(fx.probeObject);
  mem.set(object, OBJECT_AT);
  const handle = imports.wasm_bpf!.wasm_load_bpf_object!(OBJECT_AT, object.length) as bigint;
  assert.ok(handle > 0n, 'the probe object loads');
  return {
    imports, mem, host, handle,
    fd(mapName) {
      new TextEncoder().encodeInto(`${mapName}\0`, mem.subarray(NAME_AT));
      return imports.wasm_bpf!.wasm_bpf_map_fd_by_name!(handle, NAME_AT) as number;
    },
    close() {
      host.close();
    },
  };
}

/** This process's fds that are eBPF maps, with their kernel map ids. */
function hostMapFds(): Map<number, number> {
  const out = new Map<number, number>();
  for (const fd of fs.readdirSync('/proc/self/fdinfo')) {
    try {
      const id = /^map_id:\s+(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (id) out.set(Number(fd), Number(id[1]));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

test("module A cannot reach module B's maps or objects: B's host fds are EBADF, unknown handles ENOENT", root.options, async (t) => {
  const mapFdsBefore = new Set(hostMapFds().keys());
  const b = module();
  const bMapFds = [...hostMapFds().keys()].filter((fd) => !mapFdsBefore.has(fd));
  const a = module();
  t.after(() => {
    a.close();
    b.close();
  });
  assert.ok(bMapFds.length >= 5, `B's maps are host fds of this process (${bMapFds.join(', ')})`);

  // Both modules see the same small numbers for their own maps: numbers of their own tables.
  const bHash = b.fd('wbt_hash'), aHash = a.fd('wbt_hash');
  assert.equal(aHash, bHash, 'each module numbers its maps from its own table');
  assert.ok(!bMapFds.includes(bHash), `a guest fd (${bHash}) is not B's host fd for that map`);

  // B stores a value; A's map of the same name stays empty: same number, different map.
  const view = (m: Module) => new DataView(m.mem.buffer);
  view(b).setUint32(KEY_AT, 7, true);
  view(b).setBigUint64(VALUE_AT, 4242n, true);
  assert.equal(b.imports.wasm_bpf!.wasm_bpf_map_operate!(bHash, 2, KEY_AT, VALUE_AT, 0, 0n), 0);
  view(a).setUint32(KEY_AT, 7, true);
  assert.equal(a.imports.wasm_bpf!.wasm_bpf_map_operate!(aHash, 1, KEY_AT, VALUE_AT, 0, 0n), -E.ENOENT!);

  // Every host fd of B's maps, guessed by A, for every map command and for polling.
  const op = a.imports.wasm_bpf!.wasm_bpf_map_operate!;
  for (const fd of bMapFds) {
    for (const cmd of [1, 2, 3, 4]) assert.equal(op(fd, cmd, KEY_AT, VALUE_AT, VALUE_AT + 64, 0n), -E.EBADF!, `map_operate(B's host fd ${fd}, cmd ${cmd})`);
    assert.equal(a.imports.wasm_bpf!.wasm_bpf_buffer_poll!(a.handle, fd, 0, 0, VALUE_AT, 64, 0), -E.EBADF!, `buffer_poll(B's host fd ${fd})`);
  }
  // Numbers A was never given (B holds more fds than A asked for) are EBADF too.
  const bRing = b.fd('wbt_ring'), bStats = b.fd('wbt_stats');
  assert.ok(bStats > aHash);
  assert.equal(op(bStats, 1, KEY_AT, VALUE_AT, 0, 0n), -E.EBADF!);
  assert.equal(a.imports.wasm_bpf!.wasm_bpf_buffer_poll!(a.handle, bRing, 0, 0, VALUE_AT, 64, 0), -E.EBADF!);

  // B's objects by handle: A holds handle 1 only; anything else is ENOENT, for every import taking one.
  for (const h of [b.handle + 1n, 2n, 3n, 1n << 40n, -1n]) {
    assert.equal(a.imports.wasm_bpf!.wasm_bpf_map_fd_by_name!(h, NAME_AT), -E.ENOENT!, `map_fd_by_name(handle ${h})`);
    assert.equal(a.imports.wasm_bpf!.wasm_close_bpf_object!(h), -E.ENOENT!, `close(handle ${h})`);
  }

  // An fd-valued map (wbt_perf is a perf event array) cannot smuggle a foreign fd to the kernel.
  const aPerf = a.fd('wbt_perf');
  for (const fd of bMapFds) {
    view(a).setUint32(KEY_AT, 0, true);
    view(a).setUint32(VALUE_AT, fd, true);
    assert.equal(op(aPerf, 2, KEY_AT, VALUE_AT, 0, 0n), -E.EBADF!, `update of an fd-valued map with B's host fd ${fd}`);
  }

  // B is untouched by all of it: its value is still there.
  view(b).setBigUint64(VALUE_AT, 0n, true);
  assert.equal(b.imports.wasm_bpf!.wasm_bpf_map_operate!(bHash, 1, KEY_AT, VALUE_AT, 0, 0n), 0);
  assert.equal(view(b).getBigUint64(VALUE_AT, true), 4242n);
});

test('closing an object frees its fd numbers for reuse, and an old number then names nothing', root.options, async (t) => {
  const a = module();
  t.after(() => a.close());
  const hash = a.fd('wbt_hash');
  assert.equal(a.fd('wbt_hash'), hash, 'asking twice gives the same number');
  assert.equal(a.imports.wasm_bpf!.wasm_close_bpf_object!(a.handle), 0);
  assert.equal(a.imports.wasm_bpf!.wasm_bpf_map_operate!(hash, 1, KEY_AT, VALUE_AT, 0, 0n), -E.EBADF!, 'a closed object\'s fd is gone');
  assert.deepEqual(await leftAfterRelease('wbt_'), { progs: [], maps: [] });
});
