// The README path end to end on the real kernel: build the execsnoop example into an image, push
// it to a real registry, then `wasmbpf run REF` with an empty store pulls it, loads the host's
// eBPF object from the image and reports an exec the test makes. Needs root (CAP_BPF).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ImageStore } from '../image/store.ts';
import { startRegistry, wasmbpf } from '../test/helpers/registry.ts';
import { rootOnly } from '../test/helpers/root.ts';

const root = rootOnly('loads eBPF programs');

const run = promisify(execFile);
const EXAMPLE = new URL('../examples/execsnoop/', import.meta.url).pathname;
const BIN = new URL('../bin/wasmbpf', import.meta.url).pathname;

test('build -> push -> run REF on a clean store: the pulled tool reports our exec', root.options, async (t) => {
  const registry = await startRegistry(t);
  const dir = await mkdtemp(join(tmpdir(), 'wasmbpf-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(EXAMPLE, join(dir, 'execsnoop'), { recursive: true, filter: (p) => !p.includes('/build') });
  const ref = `${registry.host}/tools/execsnoop:e2e`;

  const built = await wasmbpf(['build', join(dir, 'execsnoop'), '-t', ref], { WASMBPF_HOME: join(dir, 'builder') });
  assert.equal(built.code, 0, built.stderr);
  const pushed = await wasmbpf(['push', ref], { WASMBPF_HOME: join(dir, 'builder') });
  assert.equal(pushed.code, 0, pushed.stderr);

  const cleanHome = join(dir, 'clean');
  const child = spawn(BIN, ['run', ref], { env: { ...process.env, WASMBPF_DEV: '1', WASMBPF_HOME: cleanHome }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const waitFor = async (what: () => boolean, label: string, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!what()) {
      if (child.exitCode !== null) assert.fail(`wasmbpf run exited (${child.exitCode}) before ${label}:\n${stdout}\n${stderr}`);
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${label}:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitFor(() => /PCOMM/.test(stdout), 'the header line');
  const marker = `wasmbpf-e2e-${randomBytes(6).toString('hex')}`;
  // Exec until seen: the first exec may race the attach on a loaded machine.
  await waitFor(() => {
    void run('/bin/echo', [marker]);
    return stdout.includes(marker);
  }, `an exec event carrying ${marker}`);
  const line = stdout.split('\n').find((l) => l.includes(marker))!;
  assert.match(line, /^echo\s+\d+\s+\d+\s+0\s+\/bin\/echo wasmbpf-e2e-/);

  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 0, `a SIGINT ends the tool cleanly:\n${stderr}`);
  // The run pulled the image into the clean store.
  assert.equal((await ImageStore.open(cleanHome).list()).map((i) => i.name).join(), ref);
});
