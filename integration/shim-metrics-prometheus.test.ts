// The shim server's metrics endpoint, scraped by a real Prometheus (Debian's) on loopback: two
// Wasm containers on a real containerd emit known numbers of records, and PromQL through
// Prometheus' HTTP API returns each container's own figures. A container whose consumer keeps up
// gets every record (N delivered, 0 lost); a deliberately slow one shows the perf buffer's drops
// (delivered + lost = emitted, lost > 0). Prometheus finds the server through the file_sd list
// the server writes; the list, the port and the kernel's BPF stats go when the server exits.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { emitRecords, uniqueMarker, wbstatsImage } from '../test/helpers/wbstats-image.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { fetchText, sample, startPrometheus } from '../test/helpers/prometheus.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const IMAGE = 'localhost/wasmbpf-test/wbstats:metrics';
const FAST_N = 500;
const SLOW_N = 20_000;

test('Prometheus scrapes per-container records, losses, program runs and map memory from a shim server; all of it goes with the server', root.options, async (t) => {
  const discoveryDir = mkdtempSync('/tmp/wbmsd-');
  t.after(() => rmSync(discoveryDir, { recursive: true, force: true }));
  const metricsPort = await freePort();
  const statsBefore = execFileSync('sysctl', ['-n', 'kernel.bpf_stats_enabled'], { encoding: 'utf8' }).trim();
  const ctd = await Containerd.startFor(t, {
    shimConfig: `[shim]\ngrouping = "node"\nidle-timeout = "0s"\n[metrics]\naddress = "127.0.0.1:${metricsPort}"\ndiscovery-dir = "${discoveryDir}"\nkernel-stats = true\n`,
  });
  await ctd.ctrOk(['images', 'import', wbstatsImage(IMAGE)]);
  const fast = `wbm-fast-${process.pid}`, slow = `wbm-slow-${process.pid}`;
  const fastMarker = uniqueMarker(), slowMarker = uniqueMarker();
  const run = (id: string, ...args: string[]) => ctd.ctrOk(['run', '-d', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, IMAGE, id, '/wbstats.wasm', ...args]);
  await run(fast, String(fastMarker));
  await run(slow, String(slowMarker), 'slow');
  t.after(async () => {
    for (const id of [fast, slow]) {
      await ctd.ctr(['task', 'kill', '-s', 'SIGKILL', id]);
      await ctd.ctr(['task', 'delete', id]);
      await ctd.ctr(['containers', 'delete', id]);
    }
  });

  const endpoint = `http://127.0.0.1:${metricsPort}/metrics`;
  const scrape = async () => (await fetchText(endpoint)) ?? '';
  // Attached (both buffers open, the program attached) before any record is emitted.
  await waitFor('both modules attached', async () => {
    const text = await scrape();
    return [fast, slow].every((c) => (sample(text, 'wasmbpf_host_calls_total', { container: c, kind: 'attach_bpf_program' }) ?? 0) >= 1) || undefined;
  });
  const files = readdirSync(discoveryDir);
  assert.equal(files.length, 1, `one file_sd list for the one server: ${files.join(', ')}`);

  emitRecords(fastMarker, FAST_N);
  emitRecords(slowMarker, SLOW_N);
  // The slow consumer drains what fits in its perf buffer; the kernel reports the drops with the
  // next record that fits, so once it has drained, a few more records bring the count.
  const delivered = (text: string, c: string, kind: string) => sample(text, 'wasmbpf_buffer_records_delivered_total', { container: c, kind }) ?? 0;
  let last = -1;
  await waitFor('the slow consumer drained its perf buffer', async () => {
    const now = delivered(await scrape(), slow, 'perf');
    const stable = now > 0 && now === last;
    last = now;
    if (!stable) await sleep(1000);
    return stable || undefined;
  }, 60_000);
  emitRecords(slowMarker, 10);

  const prom = await startPrometheus(t, discoveryDir);
  const value = async (q: string) => {
    const r = await prom.query(q);
    return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
  };
  await waitFor('Prometheus has the fast container\'s records', async () => (await value(`wasmbpf_buffer_records_delivered_total{container="${fast}",kind="perf"}`)) === FAST_N || undefined, 30_000);
  assert.equal(await value(`wasmbpf_buffer_records_delivered_total{container="${fast}",kind="ringbuf"}`), FAST_N);
  assert.equal(await value(`wasmbpf_buffer_records_lost_total{container="${fast}",map="wbstats_perf"}`), 0);
  await waitFor('Prometheus has the slow container\'s losses', async () => {
    const got = await value(`sum(wasmbpf_buffer_records_delivered_total{container="${slow}",kind="perf"}) + sum(wasmbpf_buffer_records_lost_total{container="${slow}"})`);
    return got === SLOW_N + 10 || undefined;
  }, 30_000);
  const lost = await value(`wasmbpf_buffer_records_lost_total{container="${slow}",map="wbstats_perf"}`);
  assert.ok(lost !== undefined && lost > 0 && lost < SLOW_N + 10, `slow consumer lost ${lost}`);
  assert.equal(await value(`wasmbpf_buffer_records_lost_total{container="${slow}",kind="ringbuf"}`), undefined, 'ring buffers have no lost series');

  // Kernel side: each container's program ran for every getpgid of the test (it filters in the
  // program), the kernel timed it, the verifier's work and the maps' memory are there.
  for (const c of [fast, slow]) {
    const runs = await value(`wasmbpf_program_runs_total{container="${c}",program="wbstats_emit"}`);
    assert.ok(runs !== undefined && runs >= FAST_N + SLOW_N + 10, `${c}: ${runs} runs`);
    assert.ok(((await value(`wasmbpf_program_run_time_seconds_total{container="${c}"}`)) ?? 0) > 0, `${c}: run time counted`);
    assert.ok(((await value(`wasmbpf_program_verified_instructions{container="${c}"}`)) ?? 0) > 10);
    assert.ok(((await value(`wasmbpf_map_memory_bytes{container="${c}",map="wbstats_ring"}`)) ?? 0) >= 1 << 20, `${c}: the 1 MiB ring buffer's memory`);
    assert.ok(((await value(`wasmbpf_task_wasm_memory_bytes{container="${c}"}`)) ?? 0) > 0);
    assert.equal(await value(`wasmbpf_kernel_stats_enabled{container="${c}"}`), 1);
  }
  // The docs' example: which container's eBPF costs the most kernel time.
  const top = await prom.query('topk(1, sum by (container) (wasmbpf_program_run_time_seconds_total))');
  assert.ok(top.length === 1 && [fast, slow].includes(top[0]!.metric.container!), JSON.stringify(top));
  assert.equal(execFileSync('sysctl', ['-n', 'kernel.bpf_stats_enabled'], { encoding: 'utf8' }).trim(), statsBefore, 'BPF_ENABLE_STATS holds stats on through an fd; the sysctl is untouched');

  // ctr task metrics: the task's memory includes its maps (1 MiB ring buffer and more).
  const metrics = await ctd.ctrOk(['task', 'metrics', fast]);
  const usage = Number(/memory\.usage_in_bytes\s+(\d+)|memory\.usage\s+(\d+)/.exec(metrics)?.slice(1).find(Boolean));
  assert.ok(usage >= 1 << 20, `ctr task metrics memory ${usage}:\n${metrics}`);

  // The server goes when its last task is deleted (idle-timeout 0s): its discovery file and
  // its port with it.
  const [server] = shimPids(ctd.socket);
  for (const id of [fast, slow]) {
    const cpuRunning = sample(await scrape(), 'wasmbpf_task_cpu_seconds_total', { container: id, mode: 'user' });
    await ctd.ctrOk(['task', 'kill', '-s', 'SIGINT', id]);
    await waitFor(`${id} stopped`, async () => (await ctd.ctrOk(['task', 'ls'])).split('\n').some((l) => l.startsWith(id) && l.includes('STOPPED')) || undefined);
    // Stopped, not deleted: its last figures stay, and its CPU counter does not go back to zero.
    const stopped = await scrape();
    assert.ok((sample(stopped, 'wasmbpf_task_cpu_seconds_total', { container: id, mode: 'user' }) ?? -1) >= (cpuRunning ?? 0), `${id}'s cpu after its stop`);
    assert.ok((sample(stopped, 'wasmbpf_buffer_records_delivered_total', { container: id, kind: 'perf' }) ?? 0) > 0, `${id}'s records after its stop`);
    await ctd.ctrOk(['task', 'delete', id]);
    await ctd.ctrOk(['containers', 'delete', id]);
  }
  await waitFor('the shim server exited', () => (server && existsSync(`/proc/${server}`) ? undefined : true), 20_000);
  assert.deepEqual(readdirSync(discoveryDir), [], 'the server removed its file_sd list');
  assert.equal(await fetchText(endpoint), undefined, 'nothing listens on the metrics port');
});
