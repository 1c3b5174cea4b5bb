// The container figures of `npm run bench` (issue 7), on a private containerd:
//  - ctr run to first event: `ctr run --rm --runtime io.containerd.wasmbpf.v1` of the wasmbpf
//    image of the firstevent tool against `ctr run --rm` (runc) of the same tool built native and
//    static in a one-binary image, from spawning ctr to the tool's first event on ctr's stdout;
//    "attached" the same way. Runs alternate sides after one untimed warm-up run of each
//    (none in --quick).
//  - image size: both images as a registry stores them (manifest + config + layers).
//  - shim memory: one pod's wasmbpf shim server with 1, 10 and 50 modules (--quick: 1 and 3),
//    against one native firstevent process.
// The tool and its event source are bench/src/firstevent.c and ticker.c (container-build.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { WASMBPF_RUNTIME } from '../integration/harness/containerd.ts';
import { buildContainerPrograms } from './container-build.ts';
import { nativeImage, wasmImage, NATIVE_IMAGE, WASM_IMAGE } from './container-images.ts';
import { nativeMemory, shimMemory } from './container-memory.ts';
import { ContainerSession } from './container-session.ts';
import { timedCtrRun, type StartupSample } from './container-startup.ts';
import { BenchError } from './errors.ts';
import { ratioOf, targetMet, type Figure } from './figure.ts';
import { distIsFresh } from './wasmbpf-cli.ts';

export interface ContainerBenchOptions {
  /** 1 run, 1 and 3 modules for memory: a smoke test. */
  quick: boolean;
  /** Runs per side for the start-up figures; the median is reported. */
  runs: number;
  /** Progress lines (the runner prints them on stderr). */
  log: (line: string) => void;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

function figure(f: Omit<Figure, 'ratio'>): Figure {
  return { ...f, ratio: ratioOf(f.wasmbpf, f.native) };
}

/** Why a missed target is missed: what the profiles showed (docs/benchmarks.md has the numbers). */
const NOTES: Record<string, string> = {
  'ctr-run-to-first-event': 'a wasmbpf container starts two Node.js processes (the shim\'s start, then its server, ~100 and ~230 ms of CPU mostly loading modules: protobufjs, @grpc/grpc-js, the runtime), then Create reads the module from containerd\'s content store over gRPC and Start boots a worker thread (~70 ms) before the module attaches; runc execs one static binary',
  'ctr-run-in-pod-to-first-event': 'no new server process, but containerd still runs the shim\'s start (a Node.js process, ~100 ms of CPU) and the module gets a new worker thread with its own V8 isolate',
  'image-size': '76% of the module is DWARF debug info of Debian\'s wasi-libc, which wasmbpf compile keeps: linked with --strip-debug the image is 0.08 of the native one, and with the module layer gzip-compressed about 0.04',
  'shim-rss-per-extra-module': 'each module is a worker thread with its own V8 isolate: an empty Worker costs 9.3 to 11.4 MiB RSS on Node.js 24, koffi and the libbpf bindings 2.3 MiB more, the module itself 2.1 MiB; worker resourceLimits (young 2 MiB, old 16 MiB) measured 13.0 MiB per module',
};

/** Kills, deletes and removes one container (the task's exit status is of no interest here). */
async function removeContainer(s: ContainerSession, id: string): Promise<void> {
  await s.ctd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
  await s.ctd.ctrOk(['task', 'delete', '-f', id]);
  await s.ctd.ctrOk(['containers', 'delete', id]);
}

/** eBPF programs and maps of firstevent.bpf.c still loaded, after a moment for the kernel's RCU frees. */
async function leftovers(): Promise<string[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const left = (['prog', 'map'] as const).flatMap((kind) => {
      const out = execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8', maxBuffer: 64 << 20 }).trim();
      const items = out ? (JSON.parse(out) as { id: number; name?: string }[]) : [];
      return items.filter((i) => i.name?.startsWith('wbc_')).map((i) => `${kind} ${i.id} ${i.name}`);
    });
    if (!left.length || Date.now() > deadline) return left;
    await sleep(100);
  }
}

export async function containerFigures(opts: ContainerBenchOptions): Promise<Figure[]> {
  const figures = await measure(opts);
  const left = await leftovers();
  if (left.length) throw new BenchError('WASMBPF_BENCH_LEAK', `eBPF objects of the container benchmark are still loaded: ${left.join(', ')}`);
  return figures;
}

async function measure(opts: ContainerBenchOptions): Promise<Figure[]> {
  const { log } = opts;
  const programs = buildContainerPrograms();
  const removePrograms = () => fs.rmSync(programs.dir, { recursive: true, force: true });
  process.once('exit', removePrograms); // an interrupted run (the session's signal handler exits)
  let session: ContainerSession | undefined;
  try {
    const wasm = await wasmImage(programs, programs.dir);
    const native = nativeImage(programs, programs.dir);
    const shimPath = distIsFresh() ? 'dist' : 'tsx (dist/ missing or stale)';
    log(`containers: images built (wasmbpf ${wasm.bytes} B, native ${native.bytes} B); shims run from ${shimPath}`);
    session = await ContainerSession.start(`wbbench-${process.pid}`);
    const s = session;
    await s.ctd.ctrOk(['images', 'import', wasm.tarball]);
    await s.ctd.ctrOk(['images', 'import', native.tarball]);
    s.startTicker(programs.ticker);

    const wasmRun = (id: string) => timedCtrRun(s.ctrArgs(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', s.ctd.fifoDir,
      WASM_IMAGE, id, 'firstevent', 'first']), 'the wasmbpf image');
    // --privileged: bpf(2) and perf_event_open(2) need the capabilities; tracefs from the host
    // is where libbpf finds the tracepoint's id (a container's /sys has no tracefs mounted).
    const nativeRun = (id: string) => timedCtrRun(s.ctrArgs(['run', '--rm', '--privileged', '--fifo-dir', s.ctd.fifoDir,
      '--mount', 'type=bind,src=/sys/kernel/tracing,dst=/sys/kernel/tracing,options=rbind:rw',
      NATIVE_IMAGE, id, '/firstevent', 'first']), 'the native image with runc');
    // The same tool started in a pod whose wasmbpf server already runs (the pod's sandbox keeps
    // it up): containerd still runs the shim's `start`, which finds the server and returns its
    // address; no new server process, so this is the cost of a module in a warm shim.
    const pod = `wbb-startpod-${process.pid}`;
    const podAnnotations = ['--annotation', `io.kubernetes.cri.sandbox-id=${pod}`];
    await s.ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', s.ctd.fifoDir, ...podAnnotations,
      '--annotation', 'io.kubernetes.cri.container-type=sandbox', NATIVE_IMAGE, `${pod}-sandbox`, '/firstevent', 'pause']);
    const warmRun = (id: string) => timedCtrRun(s.ctrArgs(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', s.ctd.fifoDir,
      ...podAnnotations, '--annotation', 'io.kubernetes.cri.container-type=container', WASM_IMAGE, id, 'firstevent', 'first']), 'the wasmbpf image in a running pod');
    // Warm-up: the first run of each image prepares its snapshot and fills the page cache
    // (not in --quick, whose figures only prove the path works).
    if (!opts.quick) {
      await wasmRun('wbb-warm-wasm');
      await nativeRun('wbb-warm-native');
      await warmRun('wbb-warm-pod');
    }
    const samples = { wasmbpf: [] as StartupSample[], native: [] as StartupSample[], pod: [] as StartupSample[] };
    for (let i = 0; i < opts.runs; i++) {
      const order = i % 2 === 0 ? (['native', 'wasmbpf', 'pod'] as const) : (['pod', 'wasmbpf', 'native'] as const);
      for (const side of order) {
        const run = side === 'native' ? nativeRun : side === 'wasmbpf' ? wasmRun : warmRun;
        samples[side].push(await run(`wbb-${side}${i}`));
      }
      const [n, w, p] = [samples.native.at(-1)!, samples.wasmbpf.at(-1)!, samples.pod.at(-1)!];
      log(`containers: ctr run ${i + 1}/${opts.runs}: to first event runc ${round1(n.eventMs)} ms, wasmbpf ${round1(w.eventMs)} ms, wasmbpf in a running pod ${round1(p.eventMs)} ms`);
    }
    await removeContainer(s, `${pod}-sandbox`);
    const startupFigure = (key: 'eventMs' | 'attachedMs', name: string, target: number | null, what: string, side: 'wasmbpf' | 'pod' = 'wasmbpf') => figure({
      name, unit: 'ms', target, what,
      wasmbpf: round1(median(samples[side].map((x) => x[key]))),
      native: round1(median(samples.native.map((x) => x[key]))),
      samples: { wasmbpf: samples[side].map((x) => round1(x[key])), native: samples.native.map((x) => round1(x[key])) },
    });
    const figures: Figure[] = [
      startupFigure('eventMs', 'ctr-run-to-first-event', 0.5,
        `ctr run --rm to the tool's first event on stdout: wasmbpf image (shim on ${shimPath}) vs the static native tool's image with runc`),
      startupFigure('attachedMs', 'ctr-run-to-attached', null,
        'ctr run --rm to "attached" on stdout (eBPF object loaded, tracepoint attached): wasmbpf image vs the native image with runc'),
      startupFigure('eventMs', 'ctr-run-in-pod-to-first-event', 0.5,
        'ctr run --rm to the first event of the wasmbpf image in a pod whose shim server already runs (no new server process) vs the same runc runs', 'pod'),
      figure({
        name: 'image-size', unit: 'bytes', target: 0.05, wasmbpf: wasm.bytes, native: native.bytes,
        what: `manifest + config + layers as stored: wasmbpf image (${Object.entries(wasm.parts).map(([k, v]) => `${k} ${v}`).join(', ')}) vs the static native tool alone in a gzip layer (${native.parts['rootfs layer (tar+gzip)']})`,
      }),
    ];

    const levels = opts.quick ? [1, 3] : [1, 10, 50];
    const one = await nativeMemory(programs.native);
    log(`containers: one native firstevent: VmRSS ${one.rssMiB} MiB, PSS ${one.pssMiB} MiB`);
    const shim = await shimMemory(s, levels, log);
    const top = levels.at(-1)!;
    for (const level of levels) {
      const m = shim.get(level)!;
      figures.push(figure({
        name: `shim-rss-${level}-module${level > 1 ? 's' : ''}`, unit: 'MiB', target: null,
        wasmbpf: m.rssMiB, native: round2(level * one.rssMiB),
        what: `VmRSS of one wasmbpf shim server (on ${shimPath}) with ${level} firstevent module${level > 1 ? 's' : ''} loaded and attached (PSS ${m.pssMiB} MiB) vs ${level} x the VmRSS of one native firstevent process (${one.rssMiB} MiB, PSS ${one.pssMiB} MiB)`,
      }));
    }
    const perModule = round2((shim.get(top)!.rssMiB - shim.get(1)!.rssMiB) / (top - 1));
    const perModulePss = round2((shim.get(top)!.pssMiB - shim.get(1)!.pssMiB) / (top - 1));
    figures.push(figure({
      name: 'shim-rss-per-extra-module', unit: 'MiB', target: null, limit: 10, wasmbpf: perModule, native: one.rssMiB,
      what: `(shim VmRSS with ${top} modules - with 1) / ${top - 1} (PSS: ${perModulePss} MiB; shim on ${shimPath}) vs the VmRSS of one native firstevent process`,
    }));
    for (const f of figures) {
      const why = NOTES[f.name];
      if (why && targetMet(f) === false) f.note = why;
    }
    return figures;
  } finally {
    await session?.stop();
    removePrograms();
    process.off('exit', removePrograms);
  }
}
