// `ctr run IMAGE ID ARGS...` replaces the image's Entrypoint and Cmd with ARGS. As in runwasi,
// ARGS[0] names the module and the rest are its arguments; an ARGS[0] that names nothing fails
// at Create saying so, instead of the image's module running with the word as its argv[0]
// (issue 13, item 7).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Containerd, WASMBPF_RUNTIME } from '../test/helpers/containerd.ts';
import { artifactImage, rootfsImage } from '../test/helpers/ctr-image.ts';
import { EMPTY_LAYER_DIFF_ID } from '../shim/containerd-config.ts';
import { FIXTURE_DIR, probeImage, probeWasm } from '../test/helpers/shim-images.ts';
import { shimPids } from '../test/helpers/shim-observe.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('runs containerd and its shims');

const ARTIFACT = 'localhost/wasmbpf-test/probe-artifact:v1';
const ROOTFS = 'localhost/wasmbpf-test/probe-rootfs:v1';

test('ARGS[0] names the module (artifact image: its name; rootfs image: its file), the rest are its arguments; a word that names nothing fails clearly at Create', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  await ctd.ctrOk(['images', 'import', artifactImage(ARTIFACT, join(FIXTURE_DIR, 'probe-artifact.tar'), {
    config: { architecture: 'wasm', os: 'wasip1', config: { Entrypoint: ['probe'], Cmd: ['exit', '2'] }, rootfs: { type: 'layers', diff_ids: [EMPTY_LAYER_DIFF_ID] } },
    layers: [{ mediaType: 'application/vnd.wasm.content.layer.v1+wasm', bytes: probeWasm() }],
  })]);
  await ctd.ctrOk(['images', 'import', probeImage(ROOTFS)]);
  const run = (image: string, id: string, ...args: string[]) => ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, image, id, ...args]);

  const plain = await run(ARTIFACT, 'cl-plain');
  assert.equal(plain.code, 2, plain.stderr);
  assert.match(plain.stdout, /probe argc=3 \[probe\] \[exit\] \[2\]/, 'no ARGS: the image\'s Entrypoint and Cmd');
  for (const [id, word] of [['cl-name', 'probe'], ['cl-wasm', 'probe.wasm'], ['cl-path', '/probe.wasm']] as const) {
    const named = await run(ARTIFACT, id, word, 'exit', '3');
    assert.equal(named.code, 3, `${word}: ${named.stderr}`);
    assert.match(named.stdout, new RegExp(`probe argc=3 \\[${word.replace(/[./]/g, '\\$&')}\\] \\[exit\\] \\[3\\]`));
  }
  const flag = await run(ARTIFACT, 'cl-flag', '-u', '65534');
  assert.notEqual(flag.code, 0);
  assert.match(flag.stderr, /failed to create shim task: process\.args\[0\] "-u" does not name the module of image localhost\/wasmbpf-test\/probe-artifact:v1, "probe": the command line's first word names the module and the rest are its arguments .*e\.g\. `ctr run localhost\/wasmbpf-test\/probe-artifact:v1 ID probe ARGS\.\.\.`/);
  const other = await run(ARTIFACT, 'cl-other', '/nothere.wasm');
  assert.match(other.stderr, /process\.args\[0\] "\/nothere\.wasm" does not name the module of image/);

  const rootfsFlag = await run(ROOTFS, 'cl-rflag', '-u', '65534');
  assert.notEqual(rootfsFlag.code, 0);
  assert.match(rootfsFlag.stderr, /failed to create shim task: process\.args\[0\] "-u" names no file in the container's rootfs; the module of image localhost\/wasmbpf-test\/probe-rootfs:v1 is \/probe\.wasm/);
  const rootfsNamed = await run(ROOTFS, 'cl-rnamed', '/probe.wasm', 'exit', '4');
  assert.equal(rootfsNamed.code, 4, rootfsNamed.stderr);

  for (const id of ['cl-flag', 'cl-other', 'cl-rflag']) await ctd.ctr(['containers', 'delete', id]);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});

test('the spec\'s cwd is where a relative module path is looked up in the rootfs', root.options, async (t) => {
  const ctd = await Containerd.startFor(t);
  const image = 'localhost/wasmbpf-test/probe-cwd:v1';
  await ctd.ctrOk(['images', 'import', rootfsImage(image, join(FIXTURE_DIR, 'probe-cwd.tar'), { 'opt/tools/probe.wasm': probeWasm() }, ['/opt/tools/probe.wasm'])]);
  const run = (...args: string[]) => ctd.ctr(['run', '--rm', '--runtime', WASMBPF_RUNTIME, '--fifo-dir', ctd.fifoDir, ...args]);
  const inCwd = await run('--cwd', '/opt/tools', image, 'cwd-in', './probe.wasm', 'exit', '5');
  assert.equal(inCwd.code, 5, inCwd.stderr);
  assert.match(inCwd.stdout, /probe argc=3 \[\.\/probe\.wasm\] \[exit\] \[5\]/);
  const elsewhere = await run('--cwd', '/', image, 'cwd-out', './probe.wasm', 'exit', '5');
  assert.notEqual(elsewhere.code, 0);
  assert.match(elsewhere.stderr, /module \.\/probe\.wasm \(process\.args\[0\]\) is neither in the container's rootfs nor a Wasm layer of its image; the module of image localhost\/wasmbpf-test\/probe-cwd:v1 is \/opt\/tools\/probe\.wasm/);
  await ctd.ctr(['containers', 'delete', 'cwd-out']);
  await waitFor('no shim left', () => shimPids(ctd.socket).length === 0 || undefined);
});
