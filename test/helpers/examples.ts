// Examples and tools under `bin/wasmbpf run`, for the system tests: build the examples a file
// needs (into a temp dir, so the tree is not written), run a tool as a user would,
// wait for what it prints, stop it with SIGINT, and check that none of its eBPF programs is left
// in the kernel; and the small things those tests share (tracefs, a command's pid, unique names).
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadedPrograms } from './bpf-state.ts';
import { compileTool, type CompiledTool } from '../../sdk/toolchain/compile.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const WASMBPF = path.join(ROOT, 'bin/wasmbpf');
const TRACEFS = '/sys/kernel/tracing';

export interface CompiledExamples {
  /** The temp dir they were built in (for the tests' own files too). */
  dir: string;
  tool(name: string): CompiledTool;
  remove(): void;
}

/** Builds these examples (for this machine's architecture only) into a temp dir, each once. */
export async function compileExamples(names: string[]): Promise<CompiledExamples> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-examples-'));
  const tools = new Map<string, CompiledTool>();
  for (const name of new Set(names)) {
    tools.set(name, await compileTool(path.join(ROOT, 'examples', name), { outDir: path.join(dir, name), arches: [] }));
  }
  return {
    dir,
    tool: (name) => tools.get(name) ?? assert.fail(`${name} was not compiled`),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Tracepoints need tracefs. Mounts it at its standard place when the machine has not;
 * returns an undo for t.after() (a no-op when it was mounted already).
 */
export function ensureTracefs(): () => void {
  if (fs.existsSync(path.join(TRACEFS, 'events'))) return () => undefined;
  execFileSync('mount', ['-t', 'tracefs', 'tracefs', TRACEFS]);
  return () => {
    try {
      execFileSync('umount', [TRACEFS]);
    } catch {
      // busy (another user mounted on top meanwhile): leaving the standard mount is harmless
    }
  };
}

/** A running `wasmbpf run MODULE ARGS`: its output so far, and ways to wait on it and stop it. */
export class ToolRun {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** eBPF program ids that appeared while this tool ran, with the names it was expected to load. */
  private readonly seenProgIds = new Set<number>();
  private readonly baseline: Set<number>;
  private waiters: (() => void)[] = [];

  /** runOptions go before the module (e.g. ['-e', 'KEY=VALUE']); args after it, to the module. */
  constructor(wasmPath: string, args: string[], private readonly progNames: string[], runOptions: string[] = []) {
    this.baseline = new Set(loadedPrograms().map((p) => p.id));
    this.child = spawn(WASMBPF, ['run', ...runOptions, wasmPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => { this.stdout += s; this.wake(); });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => { this.stderr += s; this.wake(); });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => { this.wake(); resolve({ code, signal }); }));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves with the first match of `re` in stdout; rejects after timeoutMs or if the tool exits first. */
  async waitFor(re: RegExp, timeoutMs = 20000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => { exited = true; });
    for (;;) {
      const m = this.stdout.match(re);
      if (m) return m;
      if (exited || this.child.exitCode !== null) {
        throw new Error(`the tool exited (${this.child.exitCode}) before printing ${re}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Names of the eBPF programs loaded since the tool started (any owner; truncated to 15 chars by the kernel). */
  newProgramNames(): string[] {
    return loadedPrograms().filter((p) => !this.baseline.has(p.id)).map((p) => p.name ?? '');
  }

  /** Records the tool's programs now loaded; asserts at least one of its expected names is there. */
  noteLoadedPrograms(): void {
    const mine = loadedPrograms().filter((p) => !this.baseline.has(p.id) && this.progNames.some((n) => p.name && n.startsWith(p.name)));
    for (const p of mine) this.seenProgIds.add(p.id);
    assert.ok(mine.length > 0, `none of ${this.progNames.join(', ')} is loaded while the tool runs`);
  }

  /** SIGINT, then waits; asserts exit code 0 and that every program it loaded is gone. */
  async stopAndCheck(): Promise<void> {
    this.noteLoadedPrograms();
    this.child.kill('SIGINT');
    const { code, signal } = await this.exited;
    assert.equal(signal, null, `killed by ${signal}\nstderr:\n${this.stderr}`);
    assert.equal(code, 0, `exit code ${code}\nstderr:\n${this.stderr}`);
    // tp_btf/fentry programs go with their trampoline after an RCU-tasks grace period, not at
    // once: give the kernel a few seconds before calling a program left behind.
    let left = loadedPrograms().filter((p) => this.seenProgIds.has(p.id));
    for (const deadline = Date.now() + 5000; left.length && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      left = loadedPrograms().filter((p) => this.seenProgIds.has(p.id));
    }
    assert.deepEqual(left, [], 'eBPF programs of the tool are still loaded after it exited');
  }

  /** After the tool has exited: asserts that no program of its names is loaded anymore. */
  assertNothingLeft(): void {
    const left = loadedPrograms().filter((p) => !this.baseline.has(p.id) && this.progNames.some((n) => p.name && n.startsWith(p.name)));
    assert.deepEqual(left, [], 'eBPF programs of the tool are still loaded after it exited');
  }

  /** For t.after(): ends the tool whatever state the test left it in. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Runs a command to completion; resolves with its pid and exit code. */
export function runCommand(file: string, args: string[]): Promise<{ pid: number; code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ pid: child.pid!, code, stdout }));
  });
}

/** A name no other run will print. */
export function uniqueToken(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
