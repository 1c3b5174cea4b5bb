import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TtrpcServer } from '../../ttrpc/index.ts';
import { EventPublisher } from '../../shim/events.ts';
import { Events } from '../../shim/protos.ts';
import { createLogger } from '../../shim/log.ts';

test('events reach Events/Forward in the order they were published, even when the receiver is slow', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimev-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, 'e.sock');
  const received: { topic: string; ns: string; type: string; id: string }[] = [];
  const server = new TtrpcServer({ log: () => {} });
  server.register('containerd.services.events.ttrpc.v1.Events', {
    Forward: async (payload) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      const { envelope } = Events.ForwardRequest.decode(payload);
      received.push({ topic: envelope.topic, ns: envelope.namespace, type: envelope.event.type_url, id: Events.TaskStart.decode(envelope.event.value).containerId });
      return new Uint8Array();
    },
  });
  await server.listen(sock);
  t.after(() => server.destroy());
  const publisher = new EventPublisher(`unix://${sock}`, 'ns1', createLogger(() => {}));
  for (let i = 0; i < 30; i++) publisher.publish('/tasks/start', Events.TaskStart.typeName, Events.TaskStart.encode({ containerId: `c${i}`, pid: i }));
  await publisher.close();
  assert.deepEqual(received.map((r) => r.id), Array.from({ length: 30 }, (_, i) => `c${i}`));
  assert.ok(received.every((r) => r.ns === 'ns1' && r.topic === '/tasks/start' && r.type === 'containerd.events.TaskStart'));
});

test('an unreachable containerd is logged, never thrown, and close() still ends', async () => {
  const lines: string[] = [];
  const publisher = new EventPublisher('/nonexistent/wasmbpf-test.sock', 'ns', createLogger((l) => lines.push(l)));
  publisher.publish('/tasks/exit', Events.TaskExit.typeName, Events.TaskExit.encode({ containerId: 'x' }));
  await publisher.close(5000);
  assert.ok(lines.some((l) => /level=error msg="event not delivered" topic=\/tasks\/exit/.test(l)), lines.join(''));
});

test('a full queue drops the oldest queued event, never the one being sent, and loses nothing else', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shimev-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, 'e.sock');
  const received: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let first = true;
  const server = new TtrpcServer({ log: () => {} });
  server.register('containerd.services.events.ttrpc.v1.Events', {
    Forward: async (payload) => {
      const { envelope } = Events.ForwardRequest.decode(payload);
      received.push(Events.TaskStart.decode(envelope.event.value).containerId);
      if (first) {
        first = false;
        await released; // containerd stops reading while the first event is in flight
      }
      return new Uint8Array();
    },
  });
  await server.listen(sock);
  t.after(() => server.destroy());
  const lines: string[] = [];
  const publisher = new EventPublisher(`unix://${sock}`, 'ns1', createLogger((l) => lines.push(l)), { maxQueued: 4 });
  const publish = (i: number) => publisher.publish('/tasks/start', Events.TaskStart.typeName, Events.TaskStart.encode({ containerId: `c${i}`, pid: i }));
  publish(0);
  while (received.length === 0) await new Promise((r) => setTimeout(r, 5)); // c0 is in flight
  for (let i = 1; i <= 6; i++) publish(i); // 4 fit behind it; c5 and c6 push out c1 and c2
  release();
  await publisher.close();
  assert.deepEqual(received, ['c0', 'c3', 'c4', 'c5', 'c6']);
  assert.equal(lines.filter((l) => /event queue full: dropped the oldest event/.test(l)).length, 2, lines.join(''));
});
