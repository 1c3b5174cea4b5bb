// The cost of the module stats' counters on the host's hot paths (docs/observability.md): the
// import wrapper and the per-record sink (runtime/wasm/wasm-bpf-host.ts, runtime/wasm/services/buffer-polling.ts), each with and without
// its one typed-array increment, run alternately 40 times, timed in process CPU time (robust to
// other load on the machine, which the whole-benchmark A/B is not). The Wasm side is a loop that
// calls an import, built with clang-19 as the real guests are.
//   scripts/node scripts/stats-overhead.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbstats-overhead-'));
try {
  fs.writeFileSync(path.join(dir, 'loop.c'), '__attribute__((import_module("m"), import_name("f"))) int f(int a, int b, int c);\n'
    + 'int loop(int n) { int s = 0; for (int i = 0; i < n; i++) s += f(i, s, 3); return s; }\n');
  execFileSync('clang-19', ['--target=wasm32', '-O2', '-nostdlib', '-Wl,--no-entry', '-Wl,--export=loop', '-o', path.join(dir, 'loop.wasm'), path.join(dir, 'loop.c')]);
  const bytes = fs.readFileSync(path.join(dir, 'loop.wasm'));
  const counts = new Float64Array(new SharedArrayBuffer(8 * 300));
  const stopWord = new Int32Array(new SharedArrayBuffer(4));
  const stop = { check() { if (Atomics.load(stopWord, 0) === 2) throw new Error('killed'); } };
  const cpuNs = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
  const median = (v) => { const s = [...v].sort((a, b) => a - b); return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2; };
  const compare = (what, unit, plain, counted, n) => {
    for (let i = 0; i < 5; i++) { plain(n); counted(n); }
    const t = { plain: [], counted: [] };
    for (let r = 0; r < 40; r++) {
      for (const [k, f] of r % 2 ? [['plain', plain], ['counted', counted]] : [['counted', counted], ['plain', plain]]) {
        const t0 = cpuNs();
        f(n);
        t[k].push((cpuNs() - t0) / n);
      }
    }
    const p = median(t.plain), c = median(t.counted);
    console.log(`${what}: ${p.toFixed(2)} -> ${c.toFixed(2)} ns per ${unit} (${c >= p ? '+' : ''}${(c - p).toFixed(2)} ns; differences under ~0.5 ns are within the noise)`);
  };

  // The import wrapper (WasmBpfHost.imports): the count, the stop check, the import.
  const fn = (a, b, c) => (a ^ b) + c;
  const wasmLoop = (counted) => {
    const slot = 4;
    const wrapped = counted
      ? (a, b, c, d, e, f, g) => { counts[slot]++; stop.check(); return fn(a, b, c, d, e, f, g); }
      : (a, b, c, d, e, f, g) => { stop.check(); return fn(a, b, c, d, e, f, g); };
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { f: wrapped } }).exports.loop;
  };
  compare('host import call', 'call', wasmLoop(false), wasmLoop(true), 2_000_000);

  // The record sink (BufferPolling.poll): the count, copying a 16-byte record into guest memory, the guest's callback.
  const mem = new Uint8Array(65536), src = new Uint8Array(1 << 20), src32 = new Uint32Array(src.buffer);
  const callback = (ctx, data, size) => (ctx + data + size) & 1;
  const sinkLoop = (counted) => {
    const slot = 17;
    const sink = counted
      ? (s, s32, at, size) => { counts[slot]++; mem.set(s.subarray(at, at + size), 1024); return callback(0, 1024, size); }
      : (s, s32, at, size) => { mem.set(s.subarray(at, at + size), 1024); return callback(0, 1024, size); };
    return (n) => { let r = 0; for (let i = 0; i < n; i++) r += sink(src, src32, (i * 24) & 0xffff8, 16); return r; };
  };
  compare('record delivered', 'record', sinkLoop(false), sinkLoop(true), 1_000_000);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
