// The soak of issue 8: 100 create/start/kill/delete cycles on a real containerd, each running an
// eBPF module (test/fixtures/wbsoak: it loads, attaches a tracepoint program and
// polls a ring buffer until stopped). One shim server serves every cycle: a pod sandbox (handed
// to runc) keeps it alive, and each Wasm container joins the pod by its sandbox id, so the test
// can watch the same process across cycles. Afterwards: no program, map or link of the module
// is left (bpftool), no shim process, and the server's fd count and memory stayed flat.
//
// The fd and RSS series are printed (one line each, "soak fds: ..." / "soak rss KiB: ...") for
// the report. WASMBPF_SOAK_CYCLES overrides the count (at least 30) when investigating.
//
// At the end the server writes a V8 heap snapshot (NODE_OPTIONS --heapsnapshot-signal, set for
// the shims this test's containerd starts): no task, stdio, relay or worker object may be left
// in it. That is exact where RSS is not (see the memory bound below). A failed heap check keeps
// the snapshot (its path is in the message) for a look in Chrome DevTools.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Status, TtrpcClient, TtrpcError } from '../ttrpc/index.ts';
import { Task } from '../shim/protos.ts';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { nativeImage } from '../test/helpers/shim-images.ts';
import { WBSOAK_MAP_PREFIX, WBSOAK_PROGRAM, wbsoakImage } from '../test/helpers/wbsoak-image.ts';
import { fdCount, shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

/**
 * The socket a server listens on, from its own command line (`-socket PATH`): the server may run
 * the built JavaScript while this test imports the sources, and the socket's hash names the build.
 */
function serverSocket(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return argv[argv.indexOf('-socket') + 1]!;
}

const CYCLES = Math.max(30, Number(process.env.WASMBPF_SOAK_CYCLES ?? 100));
const SAMPLE_EVERY = 10;
const NATIVE = 'localhost/wasmbpf-test/native:v1';
const SOAK = 'localhost/wasmbpf-test/wbsoak:v1';
const POD = `soakpod-h4b-${process.pid}`;

interface BpfList { id: number; name?: string; prog_id?: number }
const bpftool = (kind: 'prog' | 'map' | 'link') =>
  JSON.parse(execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as BpfList[];

/** The soak module's objects the kernel holds now: its programs, its maps, and links to its programs. */
function ours(): { programs: number[]; maps: number[]; links: number[] } {
  const programs = bpftool('prog').filter((p) => p.name === WBSOAK_PROGRAM).map((p) => p.id);
  const maps = bpftool('map').filter((m) => m.name?.startsWith(WBSOAK_MAP_PREFIX)).map((m) => m.id);
  const links = bpftool('link').filter((l) => l.prog_id !== undefined && programs.includes(l.prog_id)).map((l) => l.id);
  return { programs, maps, links };
}

/** Anonymous resident memory: the heap, stacks, Wasm memories (file-backed code pages come and go). */
function rssAnonKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('RssAnon:'));
  return Number(line?.match(/\d+/)?.[0]);
}

/** The server's threads by name: a module runs on a 'WorkerThread'; libuv's pool of 4 'libuv-worker' starts on first use. */
function threads(pid: number): { modules: number; others: number } {
  const names = readdirSync(`/proc/${pid}/task`).map((t) => {
    try {
      return readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
    } catch {
      return 'gone';
    }
  });
  return { modules: names.filter((n) => n === 'WorkerThread').length, others: names.filter((n) => n !== 'WorkerThread' && n !== 'libuv-worker' && n !== 'gone').length };
}

/** Bytes of everything live in a V8 heap snapshot. */
function heapBytes(file: string): number {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };
  const fields = snap.snapshot.meta.node_fields;
  const sizeAt = fields.indexOf('self_size');
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) total += snap.nodes[i + sizeAt]!;
  return total;
}

/** Live objects per constructor name in a V8 heap snapshot, for the names asked. */
function heapObjects(file: string, names: string[]): Record<string, number> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const [typeAt, nameAt] = [fields.indexOf('type'), fields.indexOf('name')];
  const objectType = snap.snapshot.meta.node_types[0].indexOf('object');
  const counts: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    if (snap.nodes[i + typeAt] !== objectType) continue;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    if (name in counts) counts[name]!++;
  }
  return counts;
}

test(`soak: ${CYCLES} create/start/kill/delete cycles of an eBPF module in one shim server; nothing leaks`, { ...root.options, timeout: 15 * 60_000 }, async (t) => {
  const snapshots = mkdtempSync('/tmp/wbsoak-heap-');
  const savedOptions = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${savedOptions ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshots}`.trim();
  // The shim as installed: the built JavaScript (scripts/setup and CI build it; a stale dist/ falls
  // back to the sources through tsx, whose loader adds work to every module worker).
  const ctd = await Containerd.start({ dev: false }).finally(() => {
    if (savedOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = savedOptions;
  });
  let keepSnapshots = false; // a failed heap check keeps the snapshot for a look in DevTools
  t.after(async () => {
    await ctd.stop();
    if (!keepSnapshots) rmSync(snapshots, { recursive: true, force: true });
  });
  await ctd.ctrOk(['images', 'import', nativeImage(NATIVE)]);
  await ctd.ctrOk(['images', 'import', wbsoakImage(SOAK)]);
  const before = ours();
  const pod = ['--annotation', `io.kubernetes.cri.sandbox-id=${POD}`];
  const run = (...args: string[]) => ['run', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...pod, ...args];
  await ctd.ctrOk(run('-d', '--annotation', 'io.kubernetes.cri.container-type=sandbox', NATIVE, 'soak-sandbox', '/native', 'sleep'));
  const [server, ...others] = shimPids(ctd.socket);
  assert.ok(server && others.length === 0, `one shim server, got ${[server, ...others].join(',')}`);

  const stoppedRow = async (id: string) => (await ctd.ctrOk(['task', 'ls'])).split('\n').find((l) => l.startsWith(`${id} `) && /STOPPED/.test(l));
  // Where a cycle's time goes (ctr run -d until attached, kill until STOPPED, task delete, containers delete).
  const phases: Record<string, number> = {};
  const mark = (name: string, since: number) => {
    phases[name] = (phases[name] ?? 0) + Date.now() - since;
    return Date.now();
  };
  const cycle = async (id: string) => {
    let t0 = Date.now();
    await ctd.ctrOk(run('-d', '--annotation', 'io.kubernetes.cri.container-type=container', SOAK, id));
    await waitFor(`${id}: the module's program attached`, () => {
      const now = ours();
      return (now.programs.length === before.programs.length + 1 && now.links.length === before.links.length + 1) || undefined;
    });
    t0 = mark('run', t0);
    await ctd.ctrOk(['task', 'kill', id]); // SIGTERM: the poll returns -EINTR, the module exits 0
    const row = await waitFor(`${id} stopped`, () => stoppedRow(id));
    assert.match(row, /STOPPED/);
    t0 = mark('kill', t0);
    const deleted = await ctd.ctr(['task', 'delete', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    t0 = mark('taskdel', t0);
    await ctd.ctrOk(['containers', 'delete', id]);
    t0 = mark('ctrdel', t0);
  };

  // One warm-up cycle: what the server opens once (the gRPC channel to containerd's content
  // store, libbpf and koffi loaded into the process) belongs in the baseline.
  await cycle('soak-warm');
  await waitFor('the warm-up module\'s objects freed', () => (ours().programs.length === before.programs.length) || undefined);
  const fds = [fdCount(server)];
  const rss = [rssAnonKiB(server)];
  await waitFor('the warm-up module\'s thread gone', () => threads(server).modules <= 1 || undefined, 10_000).catch(() => undefined);
  const threadCounts = [threads(server)];
  const started = Date.now();
  for (let i = 1; i <= CYCLES; i++) {
    await cycle(`soak-${i}`);
    if (i % SAMPLE_EVERY === 0) {
      await waitFor(`cycle ${i}: the module's objects freed`, () => (ours().programs.length === before.programs.length) || undefined);
      // A module's thread can still be winding down (the OS thread outlives the worker's exit
      // event by a moment on a loaded machine): give it that moment, no more.
      await waitFor(`cycle ${i}: the module's thread gone`, () => threads(server).modules <= 1 || undefined, 10_000).catch(() => undefined);
      fds.push(fdCount(server));
      rss.push(rssAnonKiB(server));
      threadCounts.push(threads(server));
    }
  }
  const seconds = (Date.now() - started) / 1000;
  // The series, for the report: sample 0 is after the warm-up cycle, then one every 10 cycles.
  console.log(`soak: ${CYCLES} cycles in ${seconds.toFixed(1)} s (${(seconds * 1000 / CYCLES).toFixed(0)} ms per cycle)`);
  console.log(`soak ms per step over all cycles: ${Object.entries(phases).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`soak fds: ${fds.join(' ')}`);
  console.log(`soak RssAnon KiB: ${rss.join(' ')}`);
  console.log(`soak threads (module workers + others): ${threadCounts.map((c) => `${c.modules}+${c.others}`).join(' ')}`);

  assert.deepEqual(shimPids(ctd.socket), [server], 'the same one server served every cycle');
  // The server itself has forgotten every deleted task (asked on its own socket, as containerd would).
  const client = await TtrpcClient.connect(serverSocket(server), { timeoutMs: 5000 });
  try {
    for (const id of ['soak-warm', 'soak-1', `soak-${CYCLES}`]) {
      await assert.rejects(client.call('containerd.task.v2.Task', 'State', Task.StateRequest.encode({ id }), { timeoutMs: 5000 }),
        (error) => error instanceof TtrpcError && error.status === Status.NotFound, id);
    }
  } finally {
    client.destroy();
  }
  // fds: each cycle opens the task's stdio FIFOs, a relay FIFO pair, the rootfs, the bundle's
  // files, the module's eBPF fds; all are closed by the end of its Delete. Exact equality.
  assert.deepEqual(fds, fds.map(() => fds[0]), `shim fds per 10 cycles: ${fds.join(' ')}`);
  // Threads: one worker per module, gone once it ended, and the pool's one warm spare
  // (runtime/worker-pool.ts) waiting for the next; Node's own threads as at the start.
  assert.deepEqual(threadCounts, threadCounts.map(() => ({ modules: 1, others: threadCounts[0]!.others })), 'shim threads per 10 cycles');
  // The heap: nothing of a finished task is still reachable.
  process.kill(server, 'SIGUSR2');
  const snapshot = await waitFor('the heap snapshot', () => {
    const done = readdirSync(snapshots).find((f) => f.endsWith('.heapsnapshot'));
    if (!done) return undefined;
    try {
      JSON.parse(readFileSync(join(snapshots, done), 'utf8')); // written in full
      return join(snapshots, done);
    } catch {
      return undefined;
    }
  }, 60_000);
  // (Module workers are counted as threads above: Node's own objects named 'Worker' are always in a heap.)
  const leftInHeap = heapObjects(snapshot, ['WasmTask', 'TaskStdio', 'OutputRelay', 'TaskStateMachine', 'ResourceLedger']);
  console.log(`soak heap objects after ${CYCLES} cycles: ${JSON.stringify(leftInHeap)}`);
  console.log(`soak after the snapshot's full GC: RssAnon ${rssAnonKiB(server)} KiB, live JS heap ${Math.round(heapBytes(snapshot) / 1024)} KiB`);
  keepSnapshots = true;
  assert.deepEqual(leftInHeap, { WasmTask: 0, TaskStdio: 0, OutputRelay: 0, TaskStateMachine: 0, ResourceLedger: 0 }, `kept in ${snapshot}`);
  keepSnapshots = false;
  // Memory (sampled before the snapshot, which costs memory of its own): RssAnon swings by
  // several MiB between samples (V8's young generation grows with the allocation rate, malloc
  // arenas), so the bound compares the highest sample of the first third with the highest of the
  // last. Measured for issue 8 with the built JavaScript: RssAnon grows by 350-390 KiB per cycle
  // while the live JS heap after a full GC stays about 16 MiB (heap snapshots at cycle 20 and 100
  // differ by ~7 KiB per cycle) and MALLOC_ARENA_MAX=2 changes nothing: it is native memory each
  // module worker leaves behind when it ends — Node does not give back all of a terminated
  // Worker's memory (nodejs/node#45685, #51868), and koffi loaded in a worker keeps ~46 KiB. The
  // bound is 80 MiB over 100 cycles (fresh-clone CI runs measured 36 to 44 MiB): what it must
  // catch is a module's memory kept per cycle — its worker isolate (~10 MiB) or its Wasm memory
  // (>= 1 MiB) — which is 100 MiB and more. The heap
  // check above is the exact one for the shim's own objects; a pool of module threads would
  // remove the per-worker part.
  const third = Math.max(1, Math.floor(rss.length / 3));
  const early = Math.max(...rss.slice(0, third));
  const late = Math.max(...rss.slice(-third));
  console.log(`soak RssAnon growth: ${late - early} KiB from the first third's max to the last third's (${((late - early) / CYCLES).toFixed(1)} KiB per cycle)`);
  assert.ok(late - early < 80 * 1024, `shim RssAnon grew ${late - early} KiB (first third max ${early}, last third max ${late}): ${rss.join(' ')}`);

  await ctd.ctrOk(['task', 'kill', 'soak-sandbox']);
  await waitFor('the sandbox stopped', () => stoppedRow('soak-sandbox'));
  await ctd.ctrOk(['task', 'delete', 'soak-sandbox']);
  await ctd.ctrOk(['containers', 'delete', 'soak-sandbox']);
  await waitFor('the shim server to exit', () => shimPids(ctd.socket).length === 0 || undefined);
  const after = await waitFor('the kernel to free the last module\'s objects', () => {
    const now = ours();
    return now.programs.length === before.programs.length && now.maps.length === before.maps.length ? now : undefined;
  });
  assert.deepEqual(after, before, 'bpftool prog/map/link show: the module\'s objects are as before the soak');
});
