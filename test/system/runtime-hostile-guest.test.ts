// A hostile guest: every host import called with random handles, fds, pointers, lengths and
// commands, many thousand times, against a real loaded object. Each call must answer with a
// number (an errno or a result), never throw into the guest or crash the host, and nothing the
// calls loaded may survive close().
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { installLibbpfLogRouter, LibbpfLogClient, openLogSink, closeLogSink } from '../../runtime/bpf/libbpf-log.ts';
import { ResourceLedger } from '../../runtime/bpf/resource-ledger.ts';
import { ObjectSelector } from '../../runtime/object-selector.ts';
import { StopSignal } from '../../runtime/wasm/stop-signal.ts';
import { WasmBpfHost } from '../../runtime/wasm/wasm-bpf-host.ts';
import { buildRuntimeFixtures, type RuntimeFixtures } from '../fixtures/runtime/build.ts';
import { leftAfterRelease, openFdCount } from '../helpers/bpf-state.ts';

let fx: RuntimeFixtures;
before(() => {
  fx = buildRuntimeFixtures();
});
after(() => fs.rmSync(fx.dir, { recursive: true, force: true }));

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random arguments to every import: always a number back, the host unharmed, nothing left', async () => {
  const fdsBefore = openFdCount();
  const devNull = fs.openSync('/dev/null', 'w');
  const sink = openLogSink(devNull);
  const log = new LibbpfLogClient(installLibbpfLogRouter(), sink);
  const ledger = new ResourceLedger();
  const host = new WasmBpfHost({
    stderrFd: devNull, runLogged: (fn) => log.run(fn), ledger, stop: new StopSignal(),
    selector: new ObjectSelector('x86_64'), policy: {},
  });
  const memory = new WebAssembly.Memory({ initial: 4 });
  const table = new WebAssembly.Table({ initial: 4, element: 'anyfunc' });
  host.bind({ exports: { memory, __indirect_function_table: table } } as unknown as WebAssembly.Instance);
  const imports = host.imports() as Record<string, Record<string, (...a: unknown[]) => unknown>>;
  const mem = new Uint8Array(memory.buffer);
  const object = fs.readFileSync(fx.probeObject);
  mem.set(object, 65536);
  new TextEncoder().encodeInto('wbt_hash\0', mem.subarray(1000));
  new TextEncoder().encodeInto('wbt_on_ring\0', mem.subarray(1100));

  const handle = imports.wasm_bpf!.wasm_load_bpf_object!(65536, object.length) as bigint;
  assert.ok(handle > 0n, 'the real object loads');
  const hashFd = imports.wasm_bpf!.wasm_bpf_map_fd_by_name!(handle, 1000) as number;
  assert.ok(hashFd > 0);

  const rnd = prng(20261125);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ptr = () => pick([0, 1, 1000, 1100, 65536, memory.buffer.byteLength - 1, memory.buffer.byteLength, 0xfffffff0, -1, Math.floor(rnd() * 2 ** 32)]);
  const ptr64 = () => pick([BigInt(ptr() >>> 0), -1n, 1n << 40n, 0n]);
  const len = () => pick([0, 1, 8, 4096, -1, 0x7fffffff, Math.floor(rnd() * 300000)]);
  const fd = () => pick([hashFd, hashFd + 1, 0, 1, 2, -1, 99999, Math.floor(rnd() * 64)]);
  const h = () => pick([handle, 0n, handle + 1n, -1n, 1n << 63n]);
  const calls: [string, string, () => unknown[]][] = [
    ['wasm_bpf', 'wasm_bpf_map_operate', () => [fd(), pick([0, 1, 2, 3, 4, 5, 99, -1]), pick([ptr(), ptr64()]), pick([ptr(), ptr64()]), pick([ptr(), ptr64()]), pick([0n, 1n, 2n, -1n])]],
    ['wasm_bpf', 'wasm_bpf_map_fd_by_name', () => [h(), ptr()]],
    ['wasm_bpf', 'wasm_attach_bpf_program', () => [h(), pick([ptr(), 1100]), pick([0, ptr()])]],
    ['wasm_bpf', 'wasm_bpf_buffer_poll', () => [h(), fd(), pick([0, 1, 2, 999]), ptr(), ptr(), len(), pick([0, 1])]],
    ['callback-wrapper', 'wasm_bpf_buffer_poll', () => [h(), fd(), ptr(), ptr(), len(), 0]],
    ['wasm_bpf', 'wasm_load_bpf_object', () => [ptr(), len()]],
    ['wasmbpf_v1', 'open_object', () => [ptr(), len()]],
    ['wasmbpf_v1', 'set_autoload', () => [h(), ptr(), pick([0, 1])]],
    ['wasmbpf_v1', 'attach', () => [h(), ptr(), ptr(), pick([0, 31, 32, 64])]],
    ['wasmbpf_v1', 'global_data', () => [h(), ptr(), ptr(), len(), pick([0, 1])]],
    ['wasmbpf_v1', 'last_error', () => [ptr(), len()]],
    ['wasmbpf_v1', 'num_possible_cpus', () => []],
  ];
  for (let i = 0; i < 20000; i++) {
    const [mod, name, args] = pick(calls);
    // Keep the flood of random memory from being mistaken for attach options of a real program.
    if (name === 'attach' && rnd() < 0.5) mem.fill(0, 2000, 2032);
    const a = args();
    let r: unknown;
    try {
      r = imports[mod]![name]!(...a);
    } catch (err) {
      assert.fail(`${mod}.${name}(${a.map(String).join(', ')}) threw: ${(err as Error).stack}`);
    }
    assert.ok(typeof r === 'number' || typeof r === 'bigint', `${mod}.${name} returned ${String(r)}`);
  }

  host.close();
  closeLogSink(sink);
  fs.closeSync(devNull);
  assert.equal(ledger.held().length, 0, 'close() freed everything the calls made');
  assert.deepEqual(await leftAfterRelease('wbt_'), { progs: [], maps: [] });
  assert.ok(openFdCount() <= fdsBefore + 2, `fds back near baseline (${fdsBefore} -> ${openFdCount()})`);
});
