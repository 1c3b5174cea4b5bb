// Validators that turn untrusted bytes (from a registry, a tarball, a store, containerd) into
// typed documents, or throw OciFormatError naming the document and the offending field. They
// check what wasmbpf relies on and pass unknown extra fields through, as the spec asks.
import { isDigest } from './digest.ts';
import { OciFormatError, UnsupportedMediaTypeError } from './errors.ts';
import { isIndexMediaType, isManifestMediaType } from './media-types.ts';
import type { Annotations, Descriptor, ImageConfig, ImageLayoutFile, Index, Manifest, Platform } from './types.ts';

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new OciFormatError(`${path}: ${message}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Parses JSON bytes into an object; `what` names the document in errors. */
export function parseJsonObject(bytes: Uint8Array | string, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new OciFormatError(`${what}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (!isObject(value)) fail(what, `expected a JSON object, got ${describe(value)}`);
  return value;
}

function optionalString(obj: Json, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(`${path}.${key}`, `expected a string, got ${describe(value)}`);
  return value;
}

function requiredString(obj: Json, key: string, path: string): string {
  const value = optionalString(obj, key, path);
  if (value === undefined || value === '') fail(`${path}.${key}`, 'is required');
  return value;
}

function optionalStringArray(obj: Json, key: string, path: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    fail(`${path}.${key}`, `expected an array of strings, got ${describe(value)}`);
  }
  return value as string[];
}

function validateAnnotations(value: unknown, path: string): Annotations | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(path, `expected an object of strings, got ${describe(value)}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`${path}[${JSON.stringify(k)}]`, `expected a string, got ${describe(v)}`);
  }
  return value as Annotations;
}

const MEDIA_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

function validatePlatform(value: unknown, path: string): Platform {
  if (!isObject(value)) fail(path, `expected an object, got ${describe(value)}`);
  requiredString(value, 'architecture', path);
  requiredString(value, 'os', path);
  optionalString(value, 'variant', path);
  optionalString(value, 'os.version', path);
  optionalStringArray(value, 'os.features', path);
  return value as unknown as Platform;
}

/** Checks one descriptor: a well-formed media type, a sha256/sha512 digest, a non-negative integer size. */
export function validateDescriptor(value: unknown, path = 'descriptor'): Descriptor {
  if (!isObject(value)) fail(path, `expected a descriptor object, got ${describe(value)}`);
  const mediaType = requiredString(value, 'mediaType', path);
  if (!MEDIA_TYPE_PATTERN.test(mediaType)) fail(`${path}.mediaType`, `not a media type: ${describe(mediaType)}`);
  if (!isDigest(value.digest)) {
    fail(`${path}.digest`, `expected "sha256:" followed by 64 lowercase hex digits, got ${describe(value.digest)}`);
  }
  const size = value.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    fail(`${path}.size`, `expected a non-negative integer, got ${describe(size)}`);
  }
  optionalStringArray(value, 'urls', path);
  validateAnnotations(value.annotations, `${path}.annotations`);
  if (value.platform !== undefined) validatePlatform(value.platform, `${path}.platform`);
  optionalString(value, 'artifactType', path);
  return value as unknown as Descriptor;
}

function validateSchemaVersion(obj: Json, path: string): void {
  if (obj.schemaVersion !== 2) fail(`${path}.schemaVersion`, `expected 2, got ${describe(obj.schemaVersion)}`);
}

/**
 * Parses an image manifest. `mediaType` is what the transport said (registry Content-Type,
 * the parent descriptor); it must agree with the document's own mediaType field when both exist.
 */
export function parseManifest(bytes: Uint8Array | string, mediaType?: string, what = 'manifest'): Manifest {
  const obj = parseJsonObject(bytes, what);
  validateSchemaVersion(obj, what);
  const own = optionalString(obj, 'mediaType', what);
  const declared = own ?? mediaType;
  if (declared !== undefined && !isManifestMediaType(declared)) {
    throw new UnsupportedMediaTypeError(`${what}: unsupported manifest media type ${JSON.stringify(declared)}`, declared);
  }
  if (own !== undefined && mediaType !== undefined && isManifestMediaType(mediaType) && own !== mediaType) {
    fail(`${what}.mediaType`, `is ${JSON.stringify(own)} but it was served as ${JSON.stringify(mediaType)}`);
  }
  if (!('config' in obj)) fail(`${what}.config`, 'is required');
  validateDescriptor(obj.config, `${what}.config`);
  if (!Array.isArray(obj.layers)) fail(`${what}.layers`, `expected an array, got ${describe(obj.layers)}`);
  obj.layers.forEach((layer, i) => validateDescriptor(layer, `${what}.layers[${i}]`));
  if (obj.subject !== undefined) validateDescriptor(obj.subject, `${what}.subject`);
  validateAnnotations(obj.annotations, `${what}.annotations`);
  return obj as unknown as Manifest;
}

/** Parses an image index (or a Docker manifest list). */
export function parseIndex(bytes: Uint8Array | string, mediaType?: string, what = 'index'): Index {
  const obj = parseJsonObject(bytes, what);
  validateSchemaVersion(obj, what);
  const own = optionalString(obj, 'mediaType', what);
  const declared = own ?? mediaType;
  if (declared !== undefined && !isIndexMediaType(declared)) {
    throw new UnsupportedMediaTypeError(`${what}: unsupported index media type ${JSON.stringify(declared)}`, declared);
  }
  if (!Array.isArray(obj.manifests)) fail(`${what}.manifests`, `expected an array, got ${describe(obj.manifests)}`);
  obj.manifests.forEach((m, i) => validateDescriptor(m, `${what}.manifests[${i}]`));
  validateAnnotations(obj.annotations, `${what}.annotations`);
  return obj as unknown as Index;
}

export type ImageDocument = { kind: 'index'; index: Index } | { kind: 'manifest'; manifest: Manifest };

/**
 * Parses a document that may be either an index or a manifest, going by `mediaType` (from the
 * transport), else the document's own mediaType, else its shape (OCI allows leaving it out).
 */
export function parseImageDocument(bytes: Uint8Array | string, mediaType?: string, what = 'image'): ImageDocument {
  const obj = parseJsonObject(bytes, what);
  const type = (mediaType && mediaType !== 'application/json' ? mediaType : undefined) ?? (typeof obj.mediaType === 'string' ? obj.mediaType : undefined);
  if (type !== undefined) {
    if (isIndexMediaType(type)) return { kind: 'index', index: parseIndex(bytes, type, what) };
    if (isManifestMediaType(type)) return { kind: 'manifest', manifest: parseManifest(bytes, type, what) };
    throw new UnsupportedMediaTypeError(`${what}: unsupported media type ${JSON.stringify(type)} (expected an OCI or Docker image manifest or index)`, type);
  }
  if (Array.isArray(obj.manifests)) return { kind: 'index', index: parseIndex(bytes, undefined, what) };
  return { kind: 'manifest', manifest: parseManifest(bytes, undefined, what) };
}

/** Parses an image config (wasmbpf, OCI or Docker; all share the OCI shape). */
export function parseImageConfig(bytes: Uint8Array | string, what = 'config'): ImageConfig {
  const obj = parseJsonObject(bytes, what);
  optionalString(obj, 'architecture', what);
  optionalString(obj, 'os', what);
  optionalString(obj, 'created', what);
  const exec = obj.config;
  if (exec !== undefined && exec !== null) {
    if (!isObject(exec)) fail(`${what}.config`, `expected an object, got ${describe(exec)}`);
    optionalStringArray(exec, 'Entrypoint', `${what}.config`);
    optionalStringArray(exec, 'Cmd', `${what}.config`);
    const env = optionalStringArray(exec, 'Env', `${what}.config`);
    env?.forEach((e, i) => {
      if (!e.includes('=')) fail(`${what}.config.Env[${i}]`, `expected KEY=VALUE, got ${describe(e)}`);
    });
    optionalString(exec, 'WorkingDir', `${what}.config`);
    validateAnnotations(exec.Labels, `${what}.config.Labels`);
  }
  const rootfs = obj.rootfs;
  if (rootfs !== undefined) {
    if (!isObject(rootfs)) fail(`${what}.rootfs`, `expected an object, got ${describe(rootfs)}`);
    const ids = rootfs.diff_ids;
    if (!Array.isArray(ids)) fail(`${what}.rootfs.diff_ids`, `expected an array, got ${describe(ids)}`);
    ids.forEach((d, i) => {
      if (!isDigest(d)) fail(`${what}.rootfs.diff_ids[${i}]`, `expected a digest, got ${describe(d)}`);
    });
  }
  return obj as ImageConfig;
}

/** Parses an image layout's `oci-layout` file; only version 1.0.0 exists. */
export function parseImageLayoutFile(bytes: Uint8Array | string, what = 'oci-layout'): ImageLayoutFile {
  const obj = parseJsonObject(bytes, what);
  const version = requiredString(obj, 'imageLayoutVersion', what);
  if (version !== '1.0.0') fail(`${what}.imageLayoutVersion`, `unsupported version ${JSON.stringify(version)} (expected "1.0.0")`);
  return { imageLayoutVersion: version };
}

/** The tool's command line from a config: Entrypoint followed by Cmd (how runtimes combine them). */
export function commandLine(config: ImageConfig): string[] {
  return [...(config.config?.Entrypoint ?? []), ...(config.config?.Cmd ?? [])];
}
