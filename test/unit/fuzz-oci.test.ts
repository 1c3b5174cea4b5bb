// Random and mutated image documents and blobs through the image code: manifests, indexes,
// configs, oci-layout files and descriptors into the oci-spec validators; whole images (a
// wasmbpf tool image, and an ordinary image whose rootfs tar layer holds the module) with one
// document or layer mutated and the digests above it fixed up, so the mutation reaches the
// code past digest checks, through loadImage and runnableFromImage; layout tarballs with bytes
// flipped or cut through ImageLayout.open; and ELF bytes into the object-arch reader. Every
// input must either work or fail with an error carrying a string `code` (never an uncaught
// TypeError or RangeError).
//
// Replay: WASMBPF_FUZZ_SEED=<seed> [WASMBPF_FUZZ_PATH=<path>] scripts/test test/unit/fuzz-oci.test.ts
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import fc from 'fast-check';
import tar from 'tar-stream';
import {
  commandLine, parseImageConfig, parseImageDocument, parseImageLayoutFile, parseIndex, parseManifest, readObjectArch,
  selectForHost, selectManifest, sha256, validateDescriptor, verifyBlob, type Descriptor,
} from '../../oci-spec/index.ts';
import { assembleImage } from '../../image/assemble.ts';
import type { ContentSource } from '../../image/content-source.ts';
import { BlobNotFoundError } from '../../image/errors.ts';
import { ImageLayout } from '../../image/layout-tarball.ts';
import { loadImage } from '../../image/load.ts';
import { runnableFromImage } from '../../image/resolve.ts';
import { tinyBpfObject, tinyWasm } from '../helpers/image-tool-files.ts';

const SEED = process.env.WASMBPF_FUZZ_SEED ? Number(process.env.WASMBPF_FUZZ_SEED) : Date.now() ^ (process.pid << 8);
const PATH = process.env.WASMBPF_FUZZ_PATH;
const SCALE = Number(process.env.WASMBPF_FUZZ_SCALE ?? 1);

function check<T>(name: string, arb: fc.Arbitrary<T>, runs: number, body: (v: T) => Promise<void> | void): Promise<void> {
  return (async () => {
    console.error(`${name}: WASMBPF_FUZZ_SEED=${SEED}`);
    const out = await fc.check(fc.asyncProperty(arb, async (v) => body(v)), { seed: SEED, path: PATH, numRuns: Math.round(runs * SCALE) });
    if (out.failed) {
      assert.fail(`${name} failed (replay: WASMBPF_FUZZ_SEED=${out.seed} WASMBPF_FUZZ_PATH=${out.counterexamplePath}, shrunk ${out.numShrinks} times): ` +
        `${(out.errorInstance as Error | undefined)?.stack ?? String(out.errorInstance)}\ncounterexample: ${fc.stringify(out.counterexample).slice(0, 4000)}`);
    }
  })();
}

/** Runs fn; a failure must be a clear error: an Error with a string code, and no TypeError/RangeError. */
async function clearErrorsOnly(what: string, fn: () => unknown): Promise<'ok' | string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (!(err instanceof Error) || err instanceof TypeError || err instanceof RangeError || typeof code !== 'string' || !code.startsWith('WASMBPF_')) {
      throw new Error(`${what}: not a clear error: ${(err as Error)?.stack ?? String(err)}`, { cause: err });
    }
    return code;
  }
}

// ---- JSON mutations ------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const special: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  null, true, 0, -1, 1.5, 2 ** 53, 1e308, -0, '', 'sha256:', `sha256:${'0'.repeat(64)}`, `sha512:${'a'.repeat(128)}`, 'x'.repeat(300),
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.wasm.content.layer.v1+wasm', 'arm64', 'x86_64', 'amd64', 'linux', '../../etc/passwd', '/',
  [], {}, [null], { __proto__: null }, JSON.parse('{"__proto__": {"polluted": true}}') as Json, { constructor: 'x', toString: 1 },
);
const replacement: fc.Arbitrary<Json> = fc.oneof({ weight: 2, arbitrary: special }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> });

interface JsonEdit { depth: number; picks: number[]; op: 'replace' | 'delete' | 'add'; key: string; value: Json }
const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  depth: fc.nat(5),
  picks: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  op: fc.constantFrom('replace', 'replace', 'delete', 'add'),
  key: fc.oneof(fc.constantFrom('mediaType', 'digest', 'size', 'annotations', 'platform', 'architecture', 'config', 'layers', 'manifests', 'schemaVersion', 'Entrypoint', 'Cmd', 'WorkingDir', '__proto__'), fc.string({ maxLength: 8 })),
  value: replacement,
});

/** Applies an edit at a node picked by walking `depth` levels down (deterministic given the edit). */
function applyEdit(doc: Json, e: JsonEdit): Json {
  const root: { v: Json } = { v: structuredClone(doc) };
  let parent: Record<string, Json> | Json[] = root as unknown as Record<string, Json>;
  let key: string | number = 'v';
  for (let d = 0; d < e.depth; d++) {
    const node = (parent as Record<string, Json>)[key as string] as Json;
    if (node === null || typeof node !== 'object') break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node;
    key = keys[e.picks[d]! % keys.length]!;
  }
  const target = parent as Record<string, Json>;
  if (e.op === 'replace') target[key as string] = e.value;
  else if (e.op === 'delete') Array.isArray(target) ? (target as Json[]).splice(key as number, 1) : delete target[key as string];
  else {
    const node = target[key as string];
    if (node && typeof node === 'object' && !Array.isArray(node)) Object.defineProperty(node, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
    else if (Array.isArray(node)) node.push(e.value);
    else target[key as string] = e.value;
  }
  return root.v === undefined ? null : root.v; // the whole document deleted
}

/** Text-level damage to a JSON document: flips, cuts, insertions. */
const textEdit = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.constantFrom('flip', 'cut', 'insert'), x: fc.integer({ min: 1, max: 255 }), s: fc.constantFrom('{', '}', '[', ']', ',', '"', '\\', ':', 'null', '\u0000', '\ud800', '1e999', '-', '\xff') });
function applyText(bytes: Buffer, e: { at: number; kind: string; x: number; s: string }): Buffer {
  const at = Math.floor(e.at * bytes.length);
  if (e.kind === 'flip' && bytes.length) {
    const b = Buffer.from(bytes);
    b[Math.min(at, b.length - 1)]! ^= e.x;
    return b;
  }
  if (e.kind === 'cut') return bytes.subarray(0, at);
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(e.s, 'latin1'), bytes.subarray(at)]);
}

// ---- base images ---------------------------------------------------------------------------

interface Image { blobs: Map<string, Buffer>; root: Descriptor }

/** The wasmbpf tool image, under an index (as a multi-platform push would have it). */
function toolImage(): Image {
  const image = assembleImage({
    name: 'fuzz', wasm: tinyWasm('fuzz'), args: ['--x'],
    objects: [{ arch: 'x86_64', name: 'fuzz.bpf.o', bytes: tinyBpfObject('x86_64') }, { arch: 'arm64', name: 'fuzz.bpf.o', bytes: tinyBpfObject('arm64') }],
  });
  const blobs = new Map(image.blobs.map((b) => [b.descriptor.digest, Buffer.from(b.bytes)]));
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...image.manifest, platform: { architecture: 'amd64', os: 'linux' } }, { ...image.manifest, platform: { architecture: 'arm64', os: 'linux' } }],
  }));
  const root = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256(index), size: index.length };
  blobs.set(root.digest, index);
  return { blobs, root };
}

async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) {
    if (name.endsWith('/')) pack.entry({ name, type: 'directory' });
    else if (name.startsWith('@')) pack.entry({ name: name.slice(1), type: 'symlink', linkname: String(body) });
    else pack.entry({ name }, Buffer.from(body));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An ordinary (runwasi-style) image: two tar layers, one gzipped, with a whiteout and a symlink to the module. */
async function rootfsImage(): Promise<Image> {
  const lower = await tarOf({ 'app/': '', 'app/old.wasm': Buffer.from(tinyWasm('old')), 'app/gone.txt': 'x' });
  const upper = gzipSync(await tarOf({ 'app/': '', 'app/tool.wasm': Buffer.from(tinyWasm('tool')), 'app/.wh.gone.txt': '', '@app/link.wasm': 'tool.wasm' }));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/app/link.wasm'], WorkingDir: '/app' }, rootfs: { type: 'layers', diff_ids: [sha256(lower), sha256(upper)] } }));
  const desc = (mediaType: string, b: Buffer) => ({ mediaType, digest: sha256(b), size: b.length });
  const layers = [desc('application/vnd.oci.image.layer.v1.tar', lower), desc('application/vnd.oci.image.layer.v1.tar+gzip', upper)];
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: desc('application/vnd.oci.image.config.v1+json', config), layers }));
  const blobs = new Map([[sha256(lower), lower], [sha256(upper), upper], [sha256(config), config], [sha256(manifest), manifest]]);
  return { blobs, root: desc('application/vnd.oci.image.manifest.v1+json', manifest) };
}

class MemorySource implements ContentSource {
  readonly label = 'memory';
  constructor(private readonly blobs: Map<string, Buffer>) {}
  async read(d: Descriptor, what = 'blob'): Promise<Uint8Array> {
    const bytes = this.blobs.get(d.digest);
    if (!bytes) throw new BlobNotFoundError(`${what} ${d.digest} is missing`);
    verifyBlob(d, bytes, what);
    return bytes;
  }
}

/**
 * Replaces one blob and fixes every digest and size that pointed at it, up to the root, so the
 * damage reaches the code behind the digest checks. The documents are rewritten textually.
 */
function replaceBlob(image: Image, oldDigest: string, bytes: Buffer): Image {
  const blobs = new Map(image.blobs);
  let root = image.root;
  const pending: [string, Buffer][] = [[oldDigest, bytes]];
  const seen = new Set<string>();
  while (pending.length) {
    const [from, to] = pending.pop()!;
    if (seen.has(from)) continue;
    seen.add(from);
    const old = blobs.get(from);
    blobs.delete(from);
    const toDigest = sha256(to);
    blobs.set(toDigest, to);
    if (root.digest === from) root = { ...root, digest: toDigest, size: to.length };
    for (const [d, b] of blobs) {
      const text = b.toString('latin1');
      if (d === toDigest || !text.includes(from)) continue;
      const fixed = Buffer.from(text.replaceAll(from, toDigest).replaceAll(`"size":${old?.length ?? -1}`, `"size":${to.length}`), 'latin1');
      pending.push([d, fixed]);
    }
  }
  return { blobs, root };
}

async function runImage(image: Image): Promise<string> {
  return clearErrorsOnly('loadImage + runnableFromImage', async () => {
    const source = new MemorySource(image.blobs);
    for (const arch of ['x86_64', 'arm64'] as const) {
      const loaded = await loadImage(source, 'fuzz:latest', image.root, arch);
      await runnableFromImage(loaded, arch);
    }
  });
}

// ---- the tests -----------------------------------------------------------------------------

test('validators: mutated and random manifests, indexes, configs, oci-layout files and descriptors', async () => {
  const tool = toolImage();
  const docs = [...tool.blobs.values()].filter((b) => b[0] === 0x7b).map((b) => JSON.parse(b.toString()) as Json);
  docs.push({ imageLayoutVersion: '1.0.0' });
  const input = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.nat(docs.length - 1), fc.array(jsonEdit, { minLength: 1, maxLength: 4 })).map(([i, edits]) => Buffer.from(JSON.stringify(edits.reduce(applyEdit, docs[i]!)))) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(docs.length - 1), fc.array(textEdit, { minLength: 1, maxLength: 3 })).map(([i, edits]) => edits.reduce(applyText, Buffer.from(JSON.stringify(docs[i]!)))) },
    { weight: 1, arbitrary: (fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  );
  const mediaType = fc.option(fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json', 'text/plain', ''));
  await check('OCI validators', fc.tuple(input, mediaType), 3000, async ([bytes, mt]) => {
    const m = mt ?? undefined;
    await clearErrorsOnly('parseManifest', () => {
      const manifest = parseManifest(bytes, m);
      for (const arch of ['x86_64', 'arm64'] as const) void clearErrorsOnly('selectForHost', () => selectForHost(manifest, arch));
    });
    await clearErrorsOnly('parseIndex', () => {
      const index = parseIndex(bytes, m);
      selectManifest(index, 'x86_64');
    });
    await clearErrorsOnly('parseImageDocument', () => parseImageDocument(bytes, m));
    await clearErrorsOnly('parseImageConfig', () => commandLine(parseImageConfig(bytes)));
    await clearErrorsOnly('parseImageLayoutFile', () => parseImageLayoutFile(bytes));
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('latin1'));
    } catch {
      return;
    }
    await clearErrorsOnly('validateDescriptor', () => validateDescriptor(value));
  });
});

test('images: one document or layer of a tool image or an ordinary image mutated, digests fixed up, through loadImage and runnableFromImage', async () => {
  const bases = [toolImage(), await rootfsImage()];
  for (const base of bases) assert.equal(await runImage(base), 'ok', 'the unmutated image runs');
  const codes = new Map<string, number>();
  const blobEdit = fc.record({
    image: fc.nat(bases.length - 1),
    blob: fc.nat(),
    json: fc.array(jsonEdit, { minLength: 1, maxLength: 3 }),
    bytes: fc.array(textEdit, { minLength: 1, maxLength: 3 }),
    asJson: fc.boolean(),
  });
  await check('OCI images', blobEdit, 1500, async (e) => {
    const base = bases[e.image]!;
    const digests = [...base.blobs.keys()];
    const digest = digests[e.blob % digests.length]!;
    const old = base.blobs.get(digest)!;
    const isJson = old[0] === 0x7b;
    const bytes = isJson && e.asJson
      ? Buffer.from(JSON.stringify(e.json.reduce(applyEdit, JSON.parse(old.toString()) as Json)))
      : e.bytes.reduce(applyText, old);
    const code = await runImage(replaceBlob(base, digest, bytes));
    codes.set(code, (codes.get(code) ?? 0) + 1);
  });
  console.error(`OCI images: outcomes ${JSON.stringify(Object.fromEntries(codes))}`);
});

test('layout tarballs: bytes flipped, cut or inserted, through ImageLayout.open and the image they hold', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmbpf-fuzz-oci-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tool = toolImage();
  const files: Record<string, Buffer | string> = { 'oci-layout': '{"imageLayoutVersion":"1.0.0"}', 'blobs/': '', 'blobs/sha256/': '' };
  const index = { schemaVersion: 2, manifests: [{ ...tool.root, annotations: { 'io.containerd.image.name': 'fuzz:latest' } }] };
  files['index.json'] = JSON.stringify(index);
  for (const [d, b] of tool.blobs) files[`blobs/sha256/${d.slice(7)}`] = b;
  const tarball = await tarOf(files);
  const file = path.join(dir, 'image.tar');
  const edits = fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.constantFrom('flip', 'flip', 'cut', 'insert'), x: fc.integer({ min: 1, max: 255 }), s: fc.constantFrom('\0', '0', '7', '\xff', 'ustar\0', '../', 'x'.repeat(600)) }), { minLength: 1, maxLength: 4 });
  await check('OCI layout tarballs', edits, 600, async (es) => {
    fs.writeFileSync(file, es.reduce(applyText, tarball));
    await clearErrorsOnly('ImageLayout.open', async () => {
      const layout = await ImageLayout.open(file);
      const image = layout.select();
      const loaded = await loadImage(layout, image.name, image.descriptor, 'x86_64');
      await runnableFromImage(loaded, 'x86_64');
    });
  });
});

test('eBPF object arch markers: mutated ELF bytes into readObjectArch', async () => {
  const base = Buffer.from(tinyBpfObject('x86_64', 'payload'));
  const edits = fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.constantFrom('flip', 'flip', 'cut', 'insert'), x: fc.integer({ min: 1, max: 255 }), s: fc.constantFrom('\0', '\xff\xff\xff\xff', '\x7f', 'arm64') }), { minLength: 1, maxLength: 6 });
  await check('ELF arch reader', edits, 5000, async (es) => {
    await clearErrorsOnly('readObjectArch', () => readObjectArch(es.reduce(applyText, base)));
  });
});

test('a gzip layer that decompresses past the cap (a decompression bomb) is a clear error, not 4 GiB of memory', async () => {
  // Nine gzip members of 64 MiB of zeros each: 575 KiB that decompress to 576 MiB.
  const bomb = Buffer.concat(Array<Buffer>(9).fill(gzipSync(Buffer.alloc(64 << 20))));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/tool.wasm'] }, rootfs: { type: 'layers', diff_ids: [] } }));
  const desc = (mediaType: string, b: Buffer) => ({ mediaType, digest: sha256(b), size: b.length });
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: desc('application/vnd.oci.image.config.v1+json', config), layers: [desc('application/vnd.oci.image.layer.v1.tar+gzip', bomb)] }));
  const source = new MemorySource(new Map([[sha256(bomb), bomb], [sha256(config), config], [sha256(manifest), manifest]]));
  const loaded = await loadImage(source, 'bomb', desc('application/vnd.oci.image.manifest.v1+json', manifest), 'x86_64');
  await assert.rejects(runnableFromImage(loaded, 'x86_64'), (e: unknown) => (e as { code?: string }).code === 'WASMBPF_IMAGE_LAYOUT' && /decompresses to more than 512 MiB/.test((e as Error).message));
});
