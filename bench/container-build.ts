// Builds the container benchmarks' programs into a temp dir: firstevent.bpf.o (clang-19 -target
// bpf), the firstevent tool twice around it (firstevent.c, the object embedded as
// firstevent_bpf_o): native, static against Debian's libbpf.a, libelf.a and libz.a (for a runc image
// with nothing else in it), and as a wasm32-wasi guest with the flags `wasmbpf compile` uses;
// and the ticker that makes the events.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GUEST_LINK_FLAGS } from '../sdk/toolchain/compile.ts';
import { bpfTarget, embedObjects, runTool } from './toolchain.ts';

const src = path.join(import.meta.dirname, 'src');

export interface ContainerPrograms {
  dir: string;
  /** The eBPF object (also embedded in both tools). */
  object: string;
  /** Static native tool. */
  native: string;
  /** The Wasm guest. */
  wasm: string;
  /** Calls getpgid(marker) every millisecond until killed. */
  ticker: string;
}


/** Builds everything into a new temp dir; the caller removes `dir`. */
export function buildContainerPrograms(): ContainerPrograms {
  const { define, multiarch } = bpfTarget();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-bench-ctr-'));
  try {
    const object = path.join(dir, 'firstevent.bpf.o');
    runTool('clang-19', ['-g', '-O2', '-target', 'bpf', `-D${define}`, '-idirafter', `/usr/include/${multiarch}`,
      '-c', path.join(src, 'firstevent.bpf.c'), '-o', object]);
    embedObjects({ firstevent_bpf_o: object }, path.join(dir, 'firstevent-object.h'));
    const tool = path.join(src, 'firstevent.c');
    const native = path.join(dir, 'firstevent-native');
    // -s: a container image ships the binary stripped; the static link pulls in exactly the
    // parts of libbpf, libelf, zlib and glibc the tool uses.
    runTool('clang-19', ['-static', '-s', '-O2', '-I', dir, '-o', native, tool, '-lbpf', '-lelf', '-lz']);
    const wasm = path.join(dir, 'firstevent.wasm');
    // Linked as `wasmbpf compile` links, so the module is the size `wasmbpf build` ships.
    runTool('clang-19', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-I', dir, '-o', wasm, tool, ...GUEST_LINK_FLAGS]);
    const ticker = path.join(dir, 'ticker');
    runTool('clang-19', ['-O2', '-o', ticker, path.join(src, 'ticker.c')]);
    return { dir, object, native, wasm, ticker };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
