// The examples' conformance table: one row per tool of examples/ (and per mode of one that
// deserves its own row), saying how to run it, how to make real events happen in the kernel and
// how to recognise the tool's report of them. example-conformance.ts runs every row on each path
// (the runtime in-process, `wasmbpf run`, `ctr run` through the shim) with the same checks.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCommand, uniqueToken } from './examples.ts';
import type { Cleanup } from './cleanup.ts';

/** What a row sees of a running tool. */
export interface ToolOutput {
  /** Everything the tool printed on stdout so far. */
  stdout(): string;
  /** Resolves with the first match of `re` in stdout; rejects after `ms` or once the tool has ended. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

export interface ExampleRow {
  /** Unique among the rows; the tests' names. */
  name: string;
  /** Its folder under examples/. */
  example: string;
  /** argv after argv[0]. */
  args: string[];
  /** Printed once the tool has attached (its header). */
  ready: RegExp;
  /** The programs it must have loaded while it runs (their functions' names). */
  programs: string[];
  /** Programs whose autoload this mode turns off: they must not be loaded. */
  notLoaded?: string[];
  /**
   * Program types it loads beyond a node's default policy (runtime/policy.ts): what a node must
   * allow ([policy] allowed-program-types) for the shim to run it.
   */
  programTypes?: string[];
  /** Why this kernel cannot run the tool, or undefined when it can. */
  unsupported?: () => string | undefined;
  /**
   * Makes real events happen and waits until the tool has reported them, asserting on what it
   * printed. May return a check of the whole stdout once the tool has stopped (what it prints on
   * the way out, or what it must never have printed).
   */
  exercise(tool: ToolOutput, t: Cleanup): Promise<((stdout: string) => void) | void>;
}

/**
 * Whether bpftool's name for a program is this function's: the whole name (from the program's
 * BTF), or the kernel's own, cut at 15 characters.
 */
export const isKernelName = (shown: string, fn: string) => shown === fn || (shown.length === 15 && fn.startsWith(shown));

let features: { tracing: boolean; lsm: boolean } | undefined;
/** Program types the running kernel can load (bpftool's probe, once per process). */
function kernelFeatures(): { tracing: boolean; lsm: boolean } {
  if (!features) {
    const probe = JSON.parse(execFileSync('bpftool', ['-j', 'feature', 'probe', 'kernel'], { encoding: 'utf8', maxBuffer: 16 << 20 })) as { program_types: Record<string, boolean> };
    features = { tracing: probe.program_types.have_tracing_prog_type === true, lsm: probe.program_types.have_lsm_prog_type === true };
  }
  return features;
}

function needsKprobes(): string | undefined {
  // libbpf creates kprobes through the kprobe PMU, or the legacy tracefs kprobe_events
  const pmu = existsSync('/sys/bus/event_source/devices/kprobe');
  return pmu || existsSync('/sys/kernel/tracing/kprobe_events') ? undefined : 'the kernel has no kprobes (CONFIG_KPROBES)';
}

function needsTrampolines(): string | undefined {
  return kernelFeatures().tracing ? undefined : 'the kernel cannot load fentry/fexit programs (no BPF trampolines)';
}

function needsBpfLsm(): string | undefined {
  if (!kernelFeatures().lsm) return 'the kernel cannot load BPF LSM programs (CONFIG_BPF_LSM)';
  const active = existsSync('/sys/kernel/security/lsm') ? readFileSync('/sys/kernel/security/lsm', 'utf8') : '';
  return active.split(',').includes('bpf') ? undefined : '"bpf" is not an active LSM (/sys/kernel/security/lsm)';
}

/** Every histogram row a log2 histogram tool printed: [low, high, count]. */
function histogramRows(text: string): [number, number, number][] {
  return [...text.matchAll(/^\s+(\d+) -> (\d+)\s+: (\d+)\s+\|[* ]*\+?\|$/gm)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
}

/** A bound receiver (so no ICMP port-unreachable replies) and a sender on 127.0.0.1. */
async function udpPair(t: Cleanup) {
  const receiver = dgram.createSocket('udp4');
  receiver.on('message', () => undefined);
  receiver.bind(0, '127.0.0.1');
  await once(receiver, 'listening');
  const sender = dgram.createSocket('udp4');
  sender.bind(0, '127.0.0.1');
  await once(sender, 'listening');
  t.after(() => { receiver.close(); sender.close(); });
  const send = async (n: number, payload = Buffer.alloc(100, 0x61)) => {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) => sender.send(payload, receiver.address().port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    }
  };
  return { send, srcPort: sender.address().port, dstPort: receiver.address().port };
}

/** The last UDP line pktcount printed: [packets, bytes], 0 before any. */
function lastUdp(stdout: string): [number, number] {
  const last = [...stdout.matchAll(/^\d\d:\d\d:\d\d UDP\s+(\d+)\s+(\d+)$/gm)].at(-1);
  return last ? [Number(last[1]), Number(last[2])] : [0, 0];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `done` or `ms` pass. */
async function until(done: () => boolean, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !done() && Date.now() < deadline; ) await sleep(100);
}

function pktcountRow(mode: 'xdp' | 'tc'): ExampleRow {
  const mine = mode === 'tc' ? 'count_tc' : 'count_xdp';
  return {
    name: `pktcount (${mode})`,
    example: 'pktcount',
    args: mode === 'tc' ? ['-t', 'lo'] : ['lo'],
    ready: /^TIME\s+PROTO\s+PACKETS\s+BYTES$/m,
    programs: [mine],
    notLoaded: [mode === 'tc' ? 'count_xdp' : 'count_tc'],
    // both programs are in the object, so both types are checked at load, whichever is attached
    programTypes: ['xdp', 'tc'],
    async exercise(tool, t) {
      assert.match(tool.stdout(), new RegExp(`^Counting packets on lo \\(${mode === 'tc' ? 'tc ingress' : 'xdp generic'}\\)`, 'm'));
      const { send } = await udpPair(t);
      // One interval passes first, so the baseline is a printed value.
      await sleep(1200);
      const [basePackets, baseBytes] = lastUdp(tool.stdout());
      const N = 25;
      await send(N);
      await until(() => lastUdp(tool.stdout())[0] >= basePackets + N, 10000);
      const [packets, bytes] = lastUdp(tool.stdout());
      assert.ok(packets >= basePackets + N, `UDP packets rose from ${basePackets} to ${packets}, expected +${N}`);
      // Each datagram is at least 100 bytes of payload + 8 UDP + 20 IPv4 (+14 Ethernet at XDP).
      assert.ok(bytes - baseBytes >= N * 128, `UDP bytes rose by ${bytes - baseBytes}`);
    },
  };
}

let uprobeTargetPath: string | undefined;
/** examples/uprobe/uprobe_target.c built with clang-19, once per process. */
export function uprobeTarget(): string {
  if (!uprobeTargetPath) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-uprobe-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    uprobeTargetPath = path.join(dir, 'uprobe_target');
    execFileSync('clang-19', ['-O1', '-g', '-o', uprobeTargetPath, path.join(ROOT, 'examples/uprobe/uprobe_target.c')]);
  }
  return uprobeTargetPath;
}

/** kprobe and fentry report the same unlink, at entry with its path and at exit with its result. */
function unlinkRow(example: 'kprobe' | 'fentry', unsupported: () => string | undefined): ExampleRow {
  return {
    name: example,
    example,
    args: [],
    ready: /^EVENT\s+PID\s+COMM\s+RET\s+FILE$/m,
    programs: ['do_unlinkat', 'do_unlinkat_exit'],
    unsupported,
    async exercise(tool) {
      const file = path.join(os.tmpdir(), uniqueToken(`wasmbpf-${example}`));
      execFileSync('touch', [file]);
      const rm = await runCommand('/bin/rm', [file]);
      assert.equal(rm.code, 0);
      await tool.waitFor(new RegExp(`^ENTRY\\s+${rm.pid}\\s+rm\\s+-\\s+${file}$`, 'm'));
      const exit = example === 'fentry' ? `^EXIT\\s+${rm.pid}\\s+rm\\s+0\\s+${file}$` : `^EXIT\\s+${rm.pid}\\s+rm\\s+0\\s*$`;
      await tool.waitFor(new RegExp(exit, 'm'));
    },
  };
}

const LSM_DENIED = uniqueToken('wbdeny').slice(0, 60);

export const EXAMPLES: readonly ExampleRow[] = [
  {
    // every exec with its full argv; a unique argument proves it is this exec
    name: 'execsnoop',
    example: 'execsnoop',
    args: [],
    ready: /^PCOMM\s+PID\s+PPID\s+RET ARGS$/m,
    programs: ['handle_exec'],
    async exercise(tool) {
      const token = uniqueToken('wasmbpf-execsnoop');
      const cmd = await runCommand('/bin/echo', [token, 'second arg']);
      assert.equal(cmd.code, 0);
      const m = await tool.waitFor(new RegExp(`^echo\\s+(\\d+)\\s+(\\d+)\\s+0 /bin/echo ${token} second arg$`, 'm'));
      assert.equal(Number(m[1]), cmd.pid, 'the PID column is the exec\'d process');
      assert.equal(Number(m[2]), process.pid, 'the PPID column is the test, which spawned it');
    },
  },
  {
    // -u (rodata): one user's execs only, filtered in the kernel
    name: 'execsnoop -u',
    example: 'execsnoop',
    args: ['-u', '4242'],
    ready: /^PCOMM/m,
    programs: ['handle_exec'],
    async exercise(tool) {
      const asRoot = uniqueToken('wasmbpf-execsnoop-root');
      const asUser = uniqueToken('wasmbpf-execsnoop-4242');
      await runCommand('/bin/echo', [asRoot]);
      await runCommand('setpriv', ['--reuid', '4242', '--regid', '4242', '--clear-groups', '/bin/echo', asUser]);
      await tool.waitFor(new RegExp(`/bin/echo ${asUser}$`, 'm'));
      return (stdout) => assert.doesNotMatch(stdout, new RegExp(asRoot), 'a uid 0 exec passed the -u filter');
    },
  },
  {
    // an exec and its exit, with the exit code and the lifetime
    name: 'bootstrap',
    example: 'bootstrap',
    args: [],
    ready: /^TIME\s+EVENT COMM\s+PID\s+PPID\s+FILENAME\/EXIT CODE$/m,
    programs: ['handle_exec', 'handle_exit'],
    async exercise(tool) {
      const cmd = await runCommand('/bin/sh', ['-c', 'sleep 0.3; exit 7']);
      assert.equal(cmd.code, 7);
      await tool.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d EXEC  sh\\s+${cmd.pid}\\s+${process.pid}\\s+/bin/sh$`, 'm'));
      const exit = await tool.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d EXIT  sh\\s+${cmd.pid}\\s+${process.pid}\\s+\\[7\\] \\((\\d+)ms\\)$`, 'm'));
      const ms = Number(exit[1]);
      assert.ok(ms >= 290 && ms < 5000, `duration ${ms}ms for a process that slept 300ms`);
    },
  },
  {
    // -d (rodata set before load): only exits of processes that lived long enough, no execs
    name: 'bootstrap -d',
    example: 'bootstrap',
    args: ['-d', '200'],
    ready: /^TIME/m,
    programs: ['handle_exec', 'handle_exit'],
    async exercise(tool) {
      const short = await runCommand('/bin/sh', ['-c', 'exit 3']);
      const long = await runCommand('/bin/sh', ['-c', 'sleep 0.3; exit 5']);
      await tool.waitFor(new RegExp(`EXIT  sh\\s+${long.pid}\\s+\\d+\\s+\\[5\\] \\(\\d+ms\\)$`, 'm'));
      return (stdout) => {
        assert.doesNotMatch(stdout, new RegExp(`\\s${short.pid}\\s`), 'a 0 ms process passed the 200 ms filter');
        assert.doesNotMatch(stdout, / EXEC /, 'with -d no exec is reported');
      };
    },
  },
  {
    // -n (rodata): the unique path cat fails to open, and nothing of other commands
    name: 'opensnoop -n',
    example: 'opensnoop',
    args: ['-n', 'cat'],
    ready: /^PID\s+COMM\s+FD ERR PATH$/m,
    programs: ['tracepoint__syscalls__sys_enter_openat', 'tracepoint__syscalls__sys_exit_openat'],
    async exercise(tool) {
      const missing = `/tmp/${uniqueToken('wasmbpf-opensnoop')}`;
      const cat = await runCommand('/bin/cat', [missing]);
      assert.equal(cat.code, 1);
      const other = `/tmp/${uniqueToken('wasmbpf-opensnoop-head')}`;
      await runCommand('/usr/bin/head', [other]);
      await tool.waitFor(new RegExp(`^${cat.pid}\\s+cat\\s+-1\\s+2 ${missing}$`, 'm'));
      return (stdout) => assert.doesNotMatch(stdout, new RegExp(other), 'a command other than cat passed -n cat');
    },
  },
  {
    // a log2 histogram with counts every interval (the map walked with get_next_key)
    name: 'runqlat',
    example: 'runqlat',
    args: ['1'],
    ready: /^Tracing run queue latency\.\.\. Hit Ctrl-C to end\.$/m,
    programs: ['sched_wakeup', 'sched_wakeup_new', 'sched_switch'],
    async exercise(tool) {
      for (let i = 0; i < 20; i++) await runCommand('/bin/true', []); // wakeups and switches
      await tool.waitFor(/^\s+usecs\s+: count\s+distribution$/m, 10000);
      await tool.waitFor(/^\s+\d+ -> \d+\s+: [1-9]\d*\s+\|/m);
      const rows = histogramRows(tool.stdout());
      for (const [low, high] of rows) assert.ok(low <= high && ((high + 1) & high) === 0, `log2 bucket ${low} -> ${high}\n${tool.stdout()}`);
    },
  },
  {
    // direct writes to a file on a block device, every one counted; -Q is off, so the insert
    // program's autoload is
    name: 'biolatency',
    example: 'biolatency',
    args: ['-D', '1'],
    ready: /^Tracing block device I\/O\.\.\. Hit Ctrl-C to end\.$/m,
    programs: ['block_rq_issue', 'block_rq_complete'],
    notLoaded: ['block_rq_insert'],
    async exercise(tool, t) {
      // /var/tmp, not /tmp: it must be on a block device (tmpfs does no block I/O).
      const dir = mkdtempSync('/var/tmp/wasmbpf-biolatency-');
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const dd = await runCommand('dd', ['if=/dev/zero', `of=${path.join(dir, 'data')}`, 'bs=4k', 'count=64', 'oflag=direct,sync']);
      assert.equal(dd.code, 0);
      await tool.waitFor(/^disk = \d+:\d+$/m, 10000);
      // The writes may straddle an interval: add up the histograms printed until all are counted.
      const total = () => histogramRows(tool.stdout()).reduce((sum, [, , c]) => sum + c, 0);
      await until(() => total() >= 64, 10000);
      assert.ok(total() >= 64, `at least the 64 direct writes are counted (got ${total()})\n${tool.stdout()}`);
    },
  },
  pktcountRow('xdp'),
  pktcountRow('tc'),
  {
    // each datagram with its ports, through a socket filter on a raw socket the host opens;
    // per-protocol totals on the way out
    name: 'sockfilter',
    example: 'sockfilter',
    args: ['lo'],
    ready: /^Filtering packets on lo\.\.\. Hit Ctrl-C to end\.$/m,
    programs: ['socket_handler'],
    async exercise(tool, t) {
      const { send, srcPort, dstPort } = await udpPair(t);
      const N = 5;
      await send(N);
      const line = new RegExp(`^interface: lo\\tprotocol: UDP\\t127\\.0\\.0\\.1:${srcPort}\\(src\\) -> 127\\.0\\.0\\.1:${dstPort}\\(dst\\)$`, 'gm');
      const seen = () => tool.stdout().match(line)?.length ?? 0;
      await until(() => seen() >= N, 10000);
      assert.equal(seen(), N, `each of the ${N} datagrams once (received side only)\n${tool.stdout()}`);
      return (stdout) => {
        const total = stdout.match(/^UDP\s+(\d+)$/m);
        assert.ok(total && Number(total[1]) >= N, `per-protocol totals after stop:\n${stdout}`);
      };
    },
  },
  {
    // every call's arguments and return value, in call order, for the target's pid
    name: 'uprobe',
    example: 'uprobe',
    get args() { return [uprobeTarget(), 'uprobe_add']; },
    ready: /^PID\s+COMM\s+EVENT\s+CALL$/m,
    programs: ['uprobe_entry', 'uprobe_return'],
    async exercise(tool) {
      const calls = await runCommand(uprobeTarget(), ['4']);
      assert.equal(calls.code, 0);
      assert.match(calls.stdout, /uprobe_add\(4, 40\) = 44/);
      const expected: string[] = [];
      for (let i = 1; i <= 4; i++) {
        expected.push(`${calls.pid} uprobe_target ENTRY uprobe_add(${i}, ${10 * i})`);
        expected.push(`${calls.pid} uprobe_target RETURN uprobe_add() = ${11 * i}`);
      }
      await tool.waitFor(new RegExp(`^${calls.pid}\\s.*RETURN uprobe_add\\(\\) = 44$`, 'm'));
      const seen = tool.stdout().split('\n').filter((l) => l.startsWith(`${calls.pid} `)).map((l) => l.replace(/\s+/g, ' ').trim());
      assert.deepEqual(seen, expected);
    },
  },
  unlinkRow('kprobe', needsKprobes),
  unlinkRow('fentry', needsTrampolines),
  {
    // mkdir of the denied name fails with EPERM while it runs and is reported; allowed again after
    name: 'lsm',
    example: 'lsm',
    args: [LSM_DENIED],
    ready: /^EVENT\s+PID\s+COMM\s+NAME$/m,
    programs: ['deny_mkdir'],
    unsupported: needsBpfLsm,
    async exercise(tool, t) {
      const parent = mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-lsm-'));
      t.after(() => rmSync(parent, { recursive: true, force: true }));
      const denied = path.join(parent, LSM_DENIED);
      const mkdir = await runCommand('/bin/mkdir', [denied]);
      assert.notEqual(mkdir.code, 0, 'the mkdir was refused');
      assert.equal(existsSync(denied), false);
      await tool.waitFor(new RegExp(`^DENIED\\s+${mkdir.pid}\\s+mkdir\\s+${LSM_DENIED}$`, 'm'));
      return () => {
        execFileSync('/bin/mkdir', [denied]); // allowed once the tool has stopped
      };
    },
  },
];
