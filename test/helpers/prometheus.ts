// A real Prometheus (Debian's) for the metrics tests, on loopback: it finds the shim servers
// through the file_sd lists they write, scrapes every second, and answers PromQL over its HTTP
// API. Also small helpers to read an exposition text directly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { waitFor } from './wait.ts';
import type { Cleanup } from './cleanup.ts';

export async function fetchText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url);
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** One series' value from an exposition text. */
export function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export interface PromResult { metric: Record<string, string>; value: [number, string] }

export async function startPrometheus(t: Cleanup, discoveryDir: string): Promise<{ query(q: string): Promise<PromResult[]> }> {
  const dir = mkdtempSync('/tmp/wbprom-');
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:', '  scrape_interval: 1s', '  scrape_timeout: 900ms',
    'scrape_configs:', '  - job_name: wasmbpf', '    file_sd_configs:', `      - files: ["${discoveryDir}/*.json"]`, '        refresh_interval: 1s', '',
  ].join('\n'));
  const proc = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  t.after(async () => {
    proc.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`prometheus ready (${log})`, () => fetchText(`${base}/-/ready`), 30_000);
  return {
    async query(q) {
      const body = JSON.parse((await fetchText(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)) ?? '{}') as { status?: string; data?: { result: PromResult[] } };
      assert.equal(body.status, 'success', `query ${q}`);
      return body.data!.result;
    },
  };
}

