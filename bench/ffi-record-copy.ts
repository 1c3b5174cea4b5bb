// A micro-measurement behind docs/benchmarks.md's "drain" analysis: what it costs per ring
// buffer record to get 16 bytes from a C pointer (what libbpf hands the sample callback) into
// Wasm memory, three ways. No eBPF, no root:
//   scripts/node --import tsx bench/ffi-record-copy.ts
import koffi from 'koffi';

const RECORDS = 200_000;
const libc = koffi.load('libc.so.6');
// dst as uintptr_t: the guest memory's base address plus an offset, no JS object per call.
const memcpy = libc.func('void *memcpy(uintptr_t dst, void *src, size_t n)');
const src = koffi.alloc('uint8_t', 16);
koffi.encode(src, 'uint8_t', Array.from({ length: 16 }, (_, i) => i + 1), 16);
const memory = new WebAssembly.Memory({ initial: 1 });
const base = Number(koffi.address(memory.buffer));
const AT = 64;

function nsPerRecord(fn: () => void): number {
  for (let i = 0; i < RECORDS / 10; i++) fn(); // warm-up: let V8 optimise the loop
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < RECORDS; i++) fn();
  return Number(process.hrtime.bigint() - t0) / RECORDS;
}

const ways: [string, () => void][] = [
  ['koffi.view + Uint8Array.set (runtime today)', () => new Uint8Array(memory.buffer, AT, 16).set(new Uint8Array(koffi.view(src, 16)))],
  ['koffi.decode uint8_t[16] + set', () => new Uint8Array(memory.buffer, AT, 16).set(koffi.decode(src, 'uint8_t', 16) as number[])],
  ['memcpy to the raw guest address', () => memcpy(base + AT, src, 16)],
];
for (const [name, fn] of ways) {
  new Uint8Array(memory.buffer, AT, 16).fill(0);
  const ns = nsPerRecord(fn);
  const copied = new Uint8Array(memory.buffer, AT, 16).every((b, i) => b === i + 1);
  if (!copied) throw new Error(`${name}: the record did not arrive intact`);
  console.log(`${name.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/record`);
}
