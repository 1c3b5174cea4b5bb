// The node config's [shim] table (shim/node-config.ts): grouping, idle timeout, spare workers,
// and the runtime options containerd writes on `start`'s stdin.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import protobuf from 'protobufjs/minimal.js';
import { decodeAny, DEFAULT_SHIM_SETTINGS, nodeConfigPath, parseDuration, readShimSettings } from '../../shim/node-config.ts';

function configFile(t: { after(fn: () => void): void }, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbnodecfg-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'shim.toml');
  fs.writeFileSync(file, text);
  return file;
}

test('without a file or a [shim] table: auto grouping, 60 s idle, one spare worker', (t) => {
  assert.deepEqual(readShimSettings(undefined), { grouping: 'auto', idleTimeoutMs: 60_000, spareWorkers: 1 });
  assert.deepEqual(readShimSettings(configFile(t, '[policy]\nallowed-map-types = ["hash"]\n')), DEFAULT_SHIM_SETTINGS);
});

test('[shim] sets each; bad values and unknown keys are refused with the file and key named', (t) => {
  assert.deepEqual(readShimSettings(configFile(t, '[shim]\ngrouping = "node"\nidle-timeout = "5m"\nspare-workers = 0\n')), { grouping: 'node', idleTimeoutMs: 300_000, spareWorkers: 0 });
  assert.throws(() => readShimSettings(configFile(t, '[shim]\ngrouping = "cluster"\n')), /shim\.grouping must be "auto", "pod" or "node", not "cluster"/);
  assert.throws(() => readShimSettings(configFile(t, '[shim]\nidle-timeout = 60\n')), /shim\.idle-timeout must be a duration string/);
  assert.throws(() => readShimSettings(configFile(t, '[shim]\nspare-workers = -1\n')), /shim\.spare-workers must be a whole number from 0 to 8/);
  assert.throws(() => readShimSettings(configFile(t, '[shim]\ngroupping = "node"\n')), /shim\.toml: unknown key shim\.groupping/);
  assert.throws(() => readShimSettings(configFile(t, '[shim\n')), /cannot be read/);
});

test('durations as Go writes them', () => {
  assert.equal(parseDuration('60s', 'x'), 60_000);
  assert.equal(parseDuration('1h30m', 'x'), 5_400_000);
  assert.equal(parseDuration('250ms', 'x'), 250);
  assert.equal(parseDuration('0s', 'x'), 0);
  assert.equal(parseDuration('0', 'x'), 0);
  assert.throws(() => parseDuration('soon', 'idle'), /idle: 'soon' is not a duration/);
  assert.throws(() => parseDuration('5 m', 'idle'), /is not a duration/);
});

test("the runtime options on start's stdin name the config file", () => {
  // runtimeoptions.v1.Options { type_url = 1, config_path = 2 } inside google.protobuf.Any
  const options = protobuf.Writer.create().uint32((2 << 3) | 2).string('/etc/x/shim.toml').finish();
  const any = protobuf.Writer.create().uint32((1 << 3) | 2).string('runtimeoptions.v1.Options').uint32((2 << 3) | 2).bytes(options).finish();
  const decoded = decodeAny(any);
  assert.equal(decoded?.type_url, 'runtimeoptions.v1.Options');
  assert.equal(nodeConfigPath(decoded, '/nonexistent'), '/etc/x/shim.toml');
  assert.equal(decodeAny(new Uint8Array()), undefined);
  assert.throws(() => decodeAny(Uint8Array.from([0x0a, 0x20, 0x61])), /runtime options on stdin do not decode/);
});
