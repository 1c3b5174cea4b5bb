// Rebuilds containerd.json, the protobufjs JSON of the containerd 1.6 protos the shim speaks,
// from the .proto files vendored beside it (copied unchanged, license headers kept, from
// Debian's golang-github-containerd-containerd-dev). Run: scripts/node --import tsx shim/proto/generate.ts
// The JSON is what the shim loads at run time: no .proto parsing, no -dev package needed, and
// tsc copies it into dist/ with the code. A unit test fails when it is stale.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export const ENTRY_PROTOS = [
  'github.com/containerd/containerd/runtime/v2/task/shim.proto',
  'github.com/containerd/containerd/api/events/task.proto',
  'github.com/containerd/containerd/api/services/ttrpc/events/v1/events.proto',
  'github.com/containerd/containerd/api/services/content/v1/content.proto',
  'github.com/containerd/containerd/api/services/images/v1/images.proto',
  'github.com/containerd/containerd/api/services/containers/v1/containers.proto',
];

/** Loads the vendored protos; imports resolve inside this folder, gogo's weak imports are skipped. */
export function loadVendoredProtos(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(here, target);
  root.loadSync(ENTRY_PROTOS, { keepCase: false });
  root.resolveAll();
  return root;
}

export function generatedJson(): string {
  return `${JSON.stringify(loadVendoredProtos().toJSON(), null, 1)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(path.join(here, 'containerd.json'), generatedJson());
}
