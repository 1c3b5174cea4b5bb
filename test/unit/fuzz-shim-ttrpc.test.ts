// Random and mutated ttrpc traffic against a live shim server (the real `serve` process, as
// `start` spawns it, serving containerd.task.v2.Task): garbage bytes, truncated headers, frames
// longer than the limit, wrong stream ids and message types, requests for unknown services and
// methods, bad protobuf for real Task methods, odd timeouts and metadata, and valid frames with
// bytes flipped. After every connection the server must still answer a well-formed request,
// and at the end still be running.
//
// Replay: WASMBPF_FUZZ_SEED=<seed> [WASMBPF_FUZZ_PATH=<path>] scripts/test test/unit/fuzz-shim-ttrpc.test.ts
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { Status, TtrpcClient, TtrpcError, TtrpcServer } from '../../ttrpc/index.ts';
import { encodeFrame, MAX_MESSAGE_LENGTH } from '../../ttrpc/frame.ts';
import { decodeRequest, encodeRequest } from '../../ttrpc/messages.ts';

const RUNS = Number(process.env.WASMBPF_FUZZ_RUNS ?? 1000);
const SEED = process.env.WASMBPF_FUZZ_SEED ? Number(process.env.WASMBPF_FUZZ_SEED) : Date.now() ^ (process.pid << 8);
const PATH = process.env.WASMBPF_FUZZ_PATH;
const TASK = 'containerd.task.v2.Task';
// Shutdown is left out: on a server with no task it legitimately ends the server.
const METHODS = ['Create', 'Start', 'State', 'Wait', 'Kill', 'Delete', 'Pids', 'Stats', 'Connect', 'CloseIO', 'Update', 'ResizePty', 'Pause', 'Resume', 'Checkpoint', 'Exec'];
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

let dir: string;
let sock: string;
let shim: ChildProcess;
let exited: { code: number | null; signal: string | null } | undefined;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-ttrpc-fuzz-'));
  sock = path.join(dir, 'shim.sock');
  shim = spawn(path.join(root, 'bin/containerd-shim-wasmbpf-v1'),
    ['-namespace', 'h3fuzz', '-address', path.join(dir, 'no-containerd.sock'), '-publish-binary', '/bin/false', '-id', 'h3fuzz', '-socket', sock, 'serve'],
    { cwd: dir, env: { ...process.env, WASMBPF_DEV: '1', TTRPC_ADDRESS: path.join(dir, 'no-ttrpc.sock') }, stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'shim.log'), 'w'), 'pipe'] });
  shim.on('exit', (code, signal) => (exited = { code, signal }));
  const ready = await new Promise<string>((resolve) => {
    let text = '';
    shim.stdio[3]!.on('data', (b: Buffer) => (text += b.toString()));
    shim.stdio[3]!.on('end', () => resolve(text.trim()));
  });
  assert.equal(ready, 'ready');
});

after(() => {
  shim.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** StateRequest { id } by hand: field 1, length-delimited. */
function idRequest(id: string): Uint8Array {
  const b = Buffer.from(id);
  return Buffer.concat([Buffer.from([0x0a, b.length]), b]);
}

/** A well-formed State for a task that does not exist: the server must answer NotFound. */
async function stillServes(): Promise<void> {
  const client = await TtrpcClient.connect(sock);
  try {
    await assert.rejects(client.call(TASK, 'State', idRequest('no-such-task'), { timeoutMs: 10_000 }),
      (e: unknown) => e instanceof TtrpcError && e.status === Status.NotFound);
  } finally {
    client.destroy();
  }
}

// ---- what a connection sends ------------------------------------------------------------

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const streamId = fc.oneof(fc.constantFrom(0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff), u32);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', TASK, `${TASK}x`, 'containerd.task.v2', '__proto__', 'constructor', 'toString'));
const metadataKey = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'containerd-namespace'));
const timeoutNano = fc.oneof(fc.constantFrom(0, 1, 1e6, 30e9, 1e15, 9.2e18, -1, -1e9), fc.integer({ min: 0, max: 2 ** 31 }));
const taskPayload = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom(idRequest('no-such-task'), idRequest(''), new Uint8Array([0x0a, 0xff]), new Uint8Array([0x0a]), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
);
const request = fc.record({
  service: fc.oneof({ weight: 3, arbitrary: fc.constant(TASK) }, { weight: 1, arbitrary: text }),
  method: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: text }),
  payload: taskPayload,
  timeoutNano,
  metadata: fc.dictionary(metadataKey, fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }), { maxKeys: 3 }),
});

type Piece = Uint8Array;
const header = (len: number, stream: number, type: number, flags: number) => {
  const h = Buffer.alloc(10);
  h.writeUInt32BE(len >>> 0, 0);
  h.writeUInt32BE(stream >>> 0, 4);
  h.writeUInt8(type, 8);
  h.writeUInt8(flags, 9);
  return h;
};
const piece: fc.Arbitrary<Piece> = fc.oneof(
  // garbage
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
  // a header, alone or cut short, declaring any length (past the 4 MiB limit too), type and flags
  fc.tuple(fc.oneof(fc.constantFrom(0, 1, 10, MAX_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH + 1, 0xffffffff), fc.nat(300)), streamId, fc.oneof(fc.constantFrom(1, 2), fc.nat(255)), fc.nat(255), fc.nat(10))
    .map(([len, stream, type, flags, cut]) => header(len, stream, type, flags).subarray(0, cut)),
  // a request frame, any stream id, maybe of another message type
  fc.tuple(request, streamId, fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.nat(255) }))
    .map(([req, stream, type]) => encodeFrame(stream, type, encodeRequest(req))),
  // a well-formed request frame with bytes flipped or cut
  fc.tuple(request, streamId, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()))
    .map(([req, stream, flips, cut]) => {
      const frame = Buffer.from(encodeFrame(stream, 1, encodeRequest(req)));
      for (const [at, x] of flips) frame[at % frame.length]! ^= x;
      return cut === null ? frame : frame.subarray(0, cut % (frame.length + 1));
    }),
);
const connection = fc.record({
  pieces: fc.array(piece, { minLength: 1, maxLength: 6 }),
  // how the bytes reach the socket: in one write, or in chunks of this size
  chunk: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 16 })),
  halfClose: fc.boolean(),
});

async function send(c: { pieces: Piece[]; chunk: number; halfClose: boolean }): Promise<void> {
  const socket = net.connect(sock);
  socket.on('error', () => {}); // the server may close on us mid-write: that is its right
  socket.on('data', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const bytes = Buffer.concat(c.pieces);
  if (c.chunk === 0) socket.write(bytes);
  else for (let at = 0; at < bytes.length; at += c.chunk) socket.write(bytes.subarray(at, at + c.chunk));
  if (c.halfClose) socket.end();
  // Give the server a moment with it (answers, or closing on us), then hang up.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 25);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
}

test(`the live shim server survives ${RUNS} connections of random and mutated ttrpc frames (seed ${SEED})`, { timeout: 300_000 }, async () => {
  console.error(`ttrpc fuzz: WASMBPF_FUZZ_SEED=${SEED}`);
  await stillServes();
  const out = await fc.check(fc.asyncProperty(connection, async (c) => {
    await send(c);
    assert.equal(exited, undefined, `the shim server exited: ${JSON.stringify(exited)}`);
    await stillServes();
  }), { seed: SEED, path: PATH, numRuns: RUNS, endOnFailure: !!process.env.WASMBPF_FUZZ_NO_SHRINK });
  if (out.failed) {
    assert.fail(`ttrpc fuzz failed (replay: WASMBPF_FUZZ_SEED=${out.seed} WASMBPF_FUZZ_PATH=${out.counterexamplePath}): ` +
      `${(out.errorInstance as Error | undefined)?.stack ?? String(out.errorInstance)}\ncounterexample: ${fc.stringify(out.counterexample)}\n` +
      `the shim's log ends:\n${fs.readFileSync(path.join(dir, 'shim.log'), 'utf8').split('\n').slice(-20).join('\n')}`);
  }
  assert.equal(exited, undefined);
});

test('request metadata keys are data, not object properties (__proto__, constructor)', () => {
  const metadata = { ['__proto__']: ['a'], constructor: ['b'], toString: ['c'] } as Record<string, string[]>;
  Object.defineProperty(metadata, '__proto__', { value: ['a'], enumerable: true });
  const decoded = decodeRequest(encodeRequest({ service: TASK, method: 'State', payload: new Uint8Array(), timeoutNano: 0, metadata }));
  assert.deepEqual(decoded.metadata.__proto__, ['a']);
  assert.deepEqual(decoded.metadata.constructor, ['b']);
  assert.deepEqual(decoded.metadata.toString, ['c']);
});

test('a request deadline past what setTimeout holds (int64 max nanoseconds) is no deadline, not 1 ms', async (t) => {
  const server = new TtrpcServer({ log: () => {} });
  server.register('test.Slow', { Wait: () => new Promise((resolve) => setTimeout(() => resolve(Buffer.from('done')), 50)) });
  const socketPath = path.join(dir, 'deadline.sock');
  await server.listen(socketPath);
  t.after(() => server.destroy());
  const raw = net.connect(socketPath);
  t.after(() => raw.destroy());
  await new Promise((r) => raw.once('connect', r));
  raw.write(encodeFrame(1, 1, encodeRequest({ service: 'test.Slow', method: 'Wait', payload: new Uint8Array(), timeoutNano: 9.2e18, metadata: {} })));
  const reply: Buffer = await new Promise((r) => raw.once('data', r));
  const { decodeResponse } = await import('../../ttrpc/messages.ts');
  const response = decodeResponse(reply.subarray(10));
  assert.equal(response.status?.code ?? Status.OK, Status.OK, response.status?.message);
  assert.equal(Buffer.from(response.payload).toString(), 'done');
});
