// pktcount and sockfilter under `wasmbpf run` on lo: the test sends UDP datagrams to
// 127.0.0.1 and checks that pktcount's per-protocol counters (per-CPU, summed by the guest)
// rise by at least that many, at XDP and at tc, and that sockfilter prints each datagram with
// its ports and counts them per protocol.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { before, test } from 'node:test';
import { compileExample, ToolRun } from '../helpers/examples.ts';
import type { CompiledTool } from '../../sdk/toolchain/compile.ts';

let pktcount: CompiledTool;
let sockfilter: CompiledTool;
before(async () => {
  pktcount = await compileExample('pktcount');
  sockfilter = await compileExample('sockfilter');
});

/** A bound receiver (so no ICMP port-unreachable replies) and a sender on 127.0.0.1. */
async function udpPair(t: { after(fn: () => void): void }) {
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
  const all = [...stdout.matchAll(/^\d\d:\d\d:\d\d UDP\s+(\d+)\s+(\d+)$/gm)];
  const last = all.at(-1);
  return last ? [Number(last[1]), Number(last[2])] : [0, 0];
}

for (const mode of ['xdp', 'tc'] as const) {
  test(`pktcount (${mode}) counts the UDP datagrams sent on lo`, { timeout: 60000 }, async (t) => {
    const args = mode === 'tc' ? ['-t', 'lo'] : ['lo'];
    const run = new ToolRun(pktcount.wasmPath, args, [mode === 'tc' ? 'count_tc' : 'count_xdp']);
    t.after(() => run.kill());
    await run.waitFor(new RegExp(`^Counting packets on lo \\(${mode === 'tc' ? 'tc ingress' : 'xdp generic'}\\)`, 'm'));
    await run.waitFor(/^TIME\s+PROTO\s+PACKETS\s+BYTES$/m);
    // The program that was not chosen had autoload off: only one of the two is loaded.
    const loaded = run.newProgramNames();
    assert.ok(!loaded.includes(mode === 'tc' ? 'count_xdp' : 'count_tc'), `loaded: ${loaded.join(', ')}`);

    const { send } = await udpPair(t);
    // Let one interval pass so the baseline is a printed value, then send.
    await new Promise((r) => setTimeout(r, 1200));
    const [basePackets, baseBytes] = lastUdp(run.stdout);
    const N = 25;
    await send(N);
    const deadline = Date.now() + 10000;
    let packets = basePackets, bytes = baseBytes;
    while (Date.now() < deadline) {
      [packets, bytes] = lastUdp(run.stdout);
      if (packets >= basePackets + N) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(packets >= basePackets + N, `UDP packets rose from ${basePackets} to ${packets}, expected +${N}`);
    // Each datagram is at least 100 bytes of payload + 8 UDP + 20 IPv4 (+14 Ethernet at XDP).
    assert.ok(bytes - baseBytes >= N * 128, `UDP bytes rose by ${bytes - baseBytes}`);
    await run.stopAndCheck();
  });
}

test('sockfilter shows each datagram sent on lo and counts it per protocol', { timeout: 60000 }, async (t) => {
  const run = new ToolRun(sockfilter.wasmPath, ['lo'], ['socket_handler']);
  t.after(() => run.kill());
  await run.waitFor(/^Filtering packets on lo\.\.\. Hit Ctrl-C to end\.$/m);
  const { send, srcPort, dstPort } = await udpPair(t);
  const N = 5;
  await send(N);
  const line = new RegExp(`^interface: lo\\tprotocol: UDP\\t127\\.0\\.0\\.1:${srcPort}\\(src\\) -> 127\\.0\\.0\\.1:${dstPort}\\(dst\\)$`, 'gm');
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline && (run.stdout.match(line)?.length ?? 0) < N) await new Promise((r) => setTimeout(r, 100));
  assert.equal(run.stdout.match(line)?.length ?? 0, N, `each of the ${N} datagrams once (received side only)\n${run.stdout}`);
  await run.stopAndCheck();
  const total = run.stdout.match(/^UDP\s+(\d+)$/m);
  assert.ok(total && Number(total[1]) >= N, `per-protocol totals after stop:\n${run.stdout}`);
});
