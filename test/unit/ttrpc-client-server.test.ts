import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TtrpcClient, TtrpcServer, TtrpcError, TtrpcTimeoutError, TtrpcConnectionError, Status } from '../../ttrpc/index.ts';
import { encodeFrame } from '../../ttrpc/frame.ts';

function tempSocket(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrpc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 's.sock');
}

async function startServer(t: { after(fn: () => Promise<void> | void): void }, logs: string[] = []) {
  const sock = tempSocket(t);
  const server = new TtrpcServer({ log: (m, e) => logs.push(`${m}${e ? `: ${String(e)}` : ''}`) });
  server.register('test.Echo', {
    Echo: async (payload) => payload,
    Slow: async (payload, ctx) => {
      const ms = Number(Buffer.from(payload).toString());
      await new Promise((resolve) => setTimeout(resolve, ms));
      return Buffer.from(`${ms}:${ctx.metadata.who?.[0] ?? ''}`);
    },
    Fail: async () => { throw new TtrpcError(Status.NotFound, 'no such thing'); },
    Crash: async () => { throw new Error('plain error'); },
    Hang: (_payload, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
  });
  await server.listen(sock);
  t.after(() => server.destroy());
  return { server, sock, logs };
}

test('a call returns the handler payload; statuses come back as TtrpcError', async (t) => {
  const { sock } = await startServer(t);
  const client = await TtrpcClient.connect(sock);
  t.after(() => client.destroy());
  assert.equal(Buffer.from(await client.call('test.Echo', 'Echo', Buffer.from('hi'))).toString(), 'hi');
  await assert.rejects(client.call('test.Echo', 'Fail', new Uint8Array()), (e: unknown) => e instanceof TtrpcError && e.status === Status.NotFound && e.message === 'no such thing');
  await assert.rejects(client.call('test.Echo', 'Crash', new Uint8Array()), (e: unknown) => e instanceof TtrpcError && e.status === Status.Unknown && e.message === 'plain error');
  await assert.rejects(client.call('test.Echo', 'Nope', new Uint8Array()), (e: unknown) => e instanceof TtrpcError && e.status === Status.Unimplemented);
  await assert.rejects(client.call('other.Svc', 'Echo', new Uint8Array()), (e: unknown) => e instanceof TtrpcError && e.status === Status.Unimplemented);
});

test('concurrent calls on one connection each get their own answer, out of order', async (t) => {
  const { sock } = await startServer(t);
  const client = await TtrpcClient.connect(sock);
  t.after(() => client.destroy());
  const delays = [60, 10, 40, 0, 25];
  const order: number[] = [];
  const results = await Promise.all(delays.map(async (ms) => {
    const out = Buffer.from(await client.call('test.Echo', 'Slow', Buffer.from(String(ms)), { metadata: { who: [`c${ms}`] } })).toString();
    order.push(ms);
    return out;
  }));
  assert.deepEqual(results, delays.map((ms) => `${ms}:c${ms}`));
  assert.deepEqual(order, [...delays].sort((a, b) => a - b));
});

test('a client timeout rejects the call and the connection stays usable', async (t) => {
  const { sock } = await startServer(t);
  const client = await TtrpcClient.connect(sock);
  t.after(() => client.destroy());
  await assert.rejects(client.call('test.Echo', 'Hang', new Uint8Array(), { timeoutMs: 50 }), (e: unknown) => e instanceof TtrpcTimeoutError || (e instanceof TtrpcError && e.status === Status.DeadlineExceeded));
  assert.equal(Buffer.from(await client.call('test.Echo', 'Echo', Buffer.from('still'))).toString(), 'still');
});

test('the server enforces the request timeout it is sent', async (t) => {
  const { sock } = await startServer(t);
  const client = await TtrpcClient.connect(sock);
  t.after(() => client.destroy());
  // the server's deadline (30 ms) fires before the client's own (5 s), so the status comes from the server
  const { encodeRequest } = await import('../../ttrpc/messages.ts');
  const raw = net.connect(sock);
  t.after(() => raw.destroy());
  await new Promise((r) => raw.once('connect', r));
  raw.write(encodeFrame(1, 1, encodeRequest({ service: 'test.Echo', method: 'Hang', payload: new Uint8Array(), timeoutNano: 30e6, metadata: {} })));
  const reply: Buffer = await new Promise((r) => raw.once('data', r));
  const { decodeResponse } = await import('../../ttrpc/messages.ts');
  assert.equal(decodeResponse(reply.subarray(10)).status?.code, Status.DeadlineExceeded);
});

test('a malformed or oversized frame closes only that connection, with a log line', async (t) => {
  const logs: string[] = [];
  const { sock, server } = await startServer(t, logs);
  const good = await TtrpcClient.connect(sock);
  t.after(() => good.destroy());

  const bad = net.connect(sock);
  await new Promise((r) => bad.once('connect', r));
  const header = Buffer.alloc(10);
  header.writeUInt32BE(64 << 20, 0); // 64 MiB, over the 4 MiB limit
  header.writeUInt32BE(1, 4);
  header.writeUInt8(1, 8);
  bad.write(header);
  await new Promise((r) => bad.once('close', r));

  const garbage = net.connect(sock);
  await new Promise((r) => garbage.once('connect', r));
  garbage.write(encodeFrame(1, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])));
  await new Promise((r) => garbage.once('close', r));

  assert.ok(logs.some((l) => /closing connection.*exceeds/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /undecodable request/.test(l)), logs.join('\n'));
  assert.equal(Buffer.from(await good.call('test.Echo', 'Echo', Buffer.from('ok'))).toString(), 'ok');
  assert.equal(server.connectionCount, 1);
});

test('closing the server rejects waiting calls with a connection error and close() is idempotent', async (t) => {
  const { sock, server } = await startServer(t);
  const client = await TtrpcClient.connect(sock);
  const waiting = client.call('test.Echo', 'Hang', new Uint8Array());
  await new Promise((r) => setTimeout(r, 20));
  server.destroy();
  await assert.rejects(waiting, (e: unknown) => e instanceof TtrpcConnectionError);
  await assert.rejects(client.call('test.Echo', 'Echo', new Uint8Array()), TtrpcConnectionError);
  await client.closed;
  await server.close();
  await server.close();
  assert.equal(fs.existsSync(sock), false);
});

test('graceful close lets a call in flight answer', async (t) => {
  const { sock, server } = await startServer(t);
  const client = await TtrpcClient.connect(sock);
  t.after(() => client.destroy());
  const slow = client.call('test.Echo', 'Slow', Buffer.from('50'));
  await new Promise((r) => setTimeout(r, 10));
  const closing = server.close();
  assert.equal(Buffer.from(await slow).toString(), '50:');
  await closing;
});

test('connect fails clearly on a missing socket; listen replaces a dead socket, never a live one or a plain file', async (t) => {
  const sock = tempSocket(t);
  await assert.rejects(TtrpcClient.connect(sock), (e: unknown) => e instanceof TtrpcConnectionError && e.message.includes(sock));
  // a socket file whose owner died: a child that listens, then is killed with SIGKILL
  const { spawnSync } = await import('node:child_process');
  const script = `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script]);
  assert.ok(fs.statSync(sock).isSocket());
  const server = new TtrpcServer();
  await server.listen(sock);
  const second = new TtrpcServer();
  await assert.rejects(second.listen(sock), /EADDRINUSE/);
  await server.close();
  fs.writeFileSync(sock, 'not a socket');
  await assert.rejects(new TtrpcServer().listen(sock), /EADDRINUSE/);
  assert.equal(fs.readFileSync(sock, 'utf8'), 'not a socket');
});

test('fds return to their baseline after many connections', async (t) => {
  const { sock } = await startServer(t);
  const before = fs.readdirSync('/proc/self/fd').length;
  for (let i = 0; i < 20; i++) {
    const client = await TtrpcClient.connect(sock);
    await client.call('test.Echo', 'Echo', Buffer.from('x'));
    await client.close();
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fs.readdirSync('/proc/self/fd').length, before);
});
