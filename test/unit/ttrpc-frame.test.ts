import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader, encodeFrame, HEADER_LENGTH, MessageType } from '../../ttrpc/frame.ts';
import { decodeRequest, encodeRequest, decodeResponse, encodeResponse } from '../../ttrpc/messages.ts';
import { TtrpcProtocolError } from '../../ttrpc/errors.ts';

test('a frame has the 10-byte big-endian header ttrpc defines', () => {
  const frame = encodeFrame(0x01020304, MessageType.Response, Buffer.from('abc'), 7);
  assert.equal(frame.length, HEADER_LENGTH + 3);
  assert.deepEqual([...frame.subarray(0, 10)], [0, 0, 0, 3, 1, 2, 3, 4, 2, 7]);
  assert.equal(frame.subarray(10).toString(), 'abc');
});

test('the reader reassembles frames split and merged across chunks, one byte at a time', () => {
  const stream = Buffer.concat([encodeFrame(1, 1, Buffer.from('first')), encodeFrame(3, 1, Buffer.alloc(0)), encodeFrame(5, 2, Buffer.from('third'))]);
  const reader = new FrameReader();
  const frames = [];
  for (const byte of stream) frames.push(...reader.push(Buffer.from([byte])));
  assert.deepEqual(frames.map((f) => [f.streamId, f.type, f.payload.toString()]), [[1, 1, 'first'], [3, 1, ''], [5, 2, 'third']]);
  const merged = new FrameReader().push(stream);
  assert.equal(merged.length, 3);
});

test('an oversized frame is refused from its header, before its payload arrives', () => {
  const header = Buffer.alloc(10);
  header.writeUInt32BE(1024, 0);
  assert.throws(() => new FrameReader(1000).push(header), (e: unknown) => e instanceof TtrpcProtocolError && /1024 bytes exceeds the 1000-byte limit/.test(e.message));
});

test('Request and Response round-trip with metadata, timeout and status', () => {
  const req = { service: 's.v1.S', method: 'M', payload: new Uint8Array([1, 2]), timeoutNano: 5e9, metadata: { a: ['1', '2'], b: ['x'] } };
  const back = decodeRequest(encodeRequest(req));
  assert.deepEqual({ ...back, payload: [...back.payload] }, { ...req, payload: [1, 2] });
  const res = decodeResponse(encodeResponse({ status: { code: 5, message: 'nope' }, payload: new Uint8Array() }));
  assert.deepEqual(res.status, { code: 5, message: 'nope' });
});
