// Image references, normalized the way Docker and containerd do it, so `execsnoop`,
// `docker.io/library/execsnoop:latest` and `127.0.0.1:5000/tools/execsnoop:v1` mean what users
// expect: a first component with a '.' or ':' (or "localhost") is a registry host, otherwise
// the image is on docker.io, and single names there live under "library/".
import { isDigest, type Digest } from '../oci-spec/index.ts';
import { InvalidReferenceError } from './errors.ts';

export interface ImageReference {
  /** Registry host[:port] as written ("docker.io" for the default). */
  registry: string;
  /** Repository path, e.g. "library/execsnoop" or "tools/execsnoop". */
  repository: string;
  /** Tag; "latest" when neither tag nor digest was given. */
  tag?: string;
  digest?: Digest;
}

export const DEFAULT_REGISTRY = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/;

export function parseReference(input: string): ImageReference {
  const fail = (why: string): never => {
    throw new InvalidReferenceError(`invalid image reference ${JSON.stringify(input)}: ${why}`);
  };
  if (input === '' || input.length > 255) fail('expected NAME[:TAG][@DIGEST] of at most 255 characters');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) fail(`bad digest ${JSON.stringify(d)}`);
    digest = d as Digest;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) fail(`bad tag ${JSON.stringify(tag)}`);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    if (!HOST.test(first)) fail(`bad registry host ${JSON.stringify(first)}`);
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p))) {
    fail('repository names are lowercase letters, digits and separators (. _ __ -) between "/"');
  }
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  const ref: ImageReference = { registry, repository: parts.join('/') };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined) ref.tag = 'latest';
  return ref;
}

/** The full, normalized name: "docker.io/library/execsnoop:latest", "host:5000/x@sha256:...". */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

/** The short form people type: docker.io and library/ dropped ("execsnoop:latest"). */
export function familiarName(full: string): string {
  if (!full.startsWith(`${DEFAULT_REGISTRY}/`)) return full;
  const rest = full.slice(DEFAULT_REGISTRY.length + 1);
  return rest.startsWith('library/') ? rest.slice('library/'.length) : rest;
}

/** Where the distribution API of `registry` is served (docker.io's API has its own host). */
export function registryApiHost(registry: string): string {
  return registry === DEFAULT_REGISTRY ? 'registry-1.docker.io' : registry;
}

/** Loopback registries may speak plain HTTP without --insecure (as Docker allows for 127.0.0.0/8). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
