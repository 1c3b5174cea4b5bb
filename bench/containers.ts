// The container figures of `npm run bench` (issues 7 and 12), on a private containerd with the
// shim's default settings:
//  - ctr run to first event: `ctr run --rm --runtime io.containerd.wasmbpf.v1` of the wasmbpf
//    image of the firstevent tool against `ctr run --rm` (runc) of the same tool built native and
//    static in a one-binary image, from spawning ctr to the tool's first event on ctr's stdout;
//    "attached" the same way. The wasmbpf container joins the namespace's warm server (the
//    default grouping for plain containers); beside it, the same container with no server
//    running (cold: a pod annotation of its own gives it a new server each run, the cost of the
//    first container on an idle node), and in a pod whose server runs. Runs alternate sides
//    after one untimed warm-up run of each (none in --quick).
//  - image size: both images as a registry stores them (manifest + config + layers).
//  - shim memory: the namespace's one wasmbpf shim server with 1, 10 and 50 plain containers
//    of the tool (--quick: 1 and 3), against one native firstevent process each.
// The tool and its event source are bench/src/firstevent.c and ticker.c (container-build.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
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
  'ctr-run-to-first-event': 'with the server warm, containerd still runs the shim\'s `start` (a Node.js process: ~20 ms to boot, ~15 ms of imports) and the task\'s Create reads the module from containerd\'s content store over gRPC; the module then starts on a warm worker (docs/benchmarks.md has the profile)',
  'ctr-run-in-pod-to-first-event': 'the same path as ctr-run-to-first-event: containerd runs the shim\'s `start` (a Node.js process) before the warm server takes the task',
  'image-size': '76% of the module is DWARF debug info of Debian\'s wasi-libc, which wasmbpf compile keeps: linked with --strip-debug the image is 0.08 of the native one, and with the module layer gzip-compressed about 0.04',
  'shim-rss-per-extra-module': 'each module is a worker thread with its own V8 isolate: an empty Worker costs 9.3 to 11.4 MiB RSS on Node.js 24, koffi and the libbpf bindings 2.3 MiB more, the module itself 2.1 MiB',
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
    // No server running: a pod of its own per run starts a server, which exits with the task.
    const coldRun = (id: string) => timedCtrRun(s.ctrArgs(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', s.ctd.fifoDir,
      '--annotation', `io.kubernetes.cri.sandbox-id=${id}`, WASM_IMAGE, id, 'firstevent', 'first']), 'the wasmbpf image with no server running');
    // Warm-up: the first run of each image prepares its snapshot and fills the page cache
    // (not in --quick, whose figures only prove the path works).
    if (!opts.quick) {
      await wasmRun('wbb-warm-wasm');
      await nativeRun('wbb-warm-native');
      await warmRun('wbb-warm-pod');
    }
    const samples = { wasmbpf: [] as StartupSample[], native: [] as StartupSample[], pod: [] as StartupSample[], cold: [] as StartupSample[] };
    for (let i = 0; i < opts.runs; i++) {
      const order = i % 2 === 0 ? (['native', 'wasmbpf', 'pod', 'cold'] as const) : (['cold', 'pod', 'wasmbpf', 'native'] as const);
      for (const side of order) {
        const run = { native: nativeRun, wasmbpf: wasmRun, pod: warmRun, cold: coldRun }[side];
        samples[side].push(await run(`wbb-${side}${i}`));
      }
      const [n, w, p, c] = [samples.native.at(-1)!, samples.wasmbpf.at(-1)!, samples.pod.at(-1)!, samples.cold.at(-1)!];
      log(`containers: ctr run ${i + 1}/${opts.runs}: to first event runc ${round1(n.eventMs)} ms, wasmbpf (warm server) ${round1(w.eventMs)} ms, in a running pod ${round1(p.eventMs)} ms, no server running ${round1(c.eventMs)} ms`);
    }
    await removeContainer(s, `${pod}-sandbox`);
    const startupFigure = (key: 'eventMs' | 'attachedMs', name: string, target: number | null, what: string, side: 'wasmbpf' | 'pod' | 'cold' = 'wasmbpf') => figure({
      name, unit: 'ms', target, what,
      wasmbpf: round1(median(samples[side].map((x) => x[key]))),
      native: round1(median(samples.native.map((x) => x[key]))),
      samples: { wasmbpf: samples[side].map((x) => round1(x[key])), native: samples.native.map((x) => round1(x[key])) },
    });
    const figures: Figure[] = [
      startupFigure('eventMs', 'ctr-run-to-first-event', 0.5,
        `ctr run --rm to the tool's first event on stdout: wasmbpf image, the namespace's server warm (shim on ${shimPath}), vs the static native tool's image with runc`),
      startupFigure('eventMs', 'ctr-run-cold-to-first-event', null,
        'the same with no wasmbpf server running (the first container on an idle node: start spawns a server) vs the same runc runs', 'cold'),
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
        // 10 tool containers in 160 MB (10 x runwasi's per-container 16 MB): 152.59 MiB
        ...(level === 10 ? { limit: 152.59 } : {}),
        wasmbpf: m.rssMiB, native: round2(level * one.rssMiB),
        what: `VmRSS of the namespace's one wasmbpf shim server (on ${shimPath}) with ${level} firstevent container${level > 1 ? 's' : ''} loaded and attached (PSS ${m.pssMiB} MiB) vs ${level} x the VmRSS of one native firstevent process (${one.rssMiB} MiB, PSS ${one.pssMiB} MiB)`,
      }));
    }
    const perModule = round2((shim.get(top)!.rssMiB - shim.get(1)!.rssMiB) / (top - 1));
    const perModulePss = round2((shim.get(top)!.pssMiB - shim.get(1)!.pssMiB) / (top - 1));
    figures.push(figure({
      name: 'shim-rss-per-extra-module', unit: 'MiB', target: null, limit: 8, wasmbpf: perModule, native: one.rssMiB,
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
