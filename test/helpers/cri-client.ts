// A test CRI client: speaks the Kubernetes CRI v1 gRPC API to containerd's CRI plugin the way
// the kubelet does, over @grpc/grpc-js with messages from runtime-v1.proto (protobufjs).
//
// Only what the tests need: unary calls by method name, plain objects in and out (camelCase
// field names, int64 as strings, enums as names, defaults filled in). Each call has a deadline so
// a hung runtime fails the test instead of stalling the suite.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { WasmbpfError } from '../../errors/index.ts';

const PROTO = fileURLToPath(new URL('../fixtures/cri/runtime-v1.proto', import.meta.url));

type Message = Record<string, unknown>;

export class CriCallError extends WasmbpfError {
  readonly code = 'WASMBPF_TEST_CRI_CALL';
  /** The gRPC status code (grpc.status). */
  readonly grpcCode: number;

  constructor(method: string, err: grpc.ServiceError) {
    super(`CRI ${method} failed: ${err.details || err.message}`, { cause: err });
    this.grpcCode = err.code;
  }
}

export interface ContainerStatus {
  id: string;
  state: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
  exitCode: number;
  /** Nanoseconds since the epoch, as a decimal string (int64); '0' while running. */
  finishedAt: string;
  reason: string;
  message: string;
  logPath: string;
}

/** Throws on a field `type` does not have, at any depth (runtime-v1.proto is a subset). */
function assertKnownFields(type: protobuf.Type, value: Message, path: string): void {
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key];
    if (!field) throw new Error(`${path}.${key}: no such field in runtime-v1.proto's ${type.name}`);
    const nested = field.resolve().resolvedType;
    if (!(nested instanceof protobuf.Type) || v === null || v === undefined) continue;
    const items = (field.map ? Object.values(v as Message) : field.repeated ? (v as unknown[]) : [v]) as Message[];
    for (const item of items) assertKnownFields(nested, item, `${path}.${key}`);
  }
}

export class CriClient {
  readonly #client: grpc.Client;
  readonly #root: protobuf.Root;
  readonly #timeoutMs: number;

  constructor(socketPath: string, opts: { timeoutMs?: number } = {}) {
    this.#root = protobuf.loadSync(PROTO);
    this.#client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Calls `runtime.v1.<service>/<method>`; request and response types follow the method name. */
  call<T extends Message = Message>(service: 'RuntimeService' | 'ImageService', method: string, request: Message): Promise<T> {
    const svc = this.#root.lookupService(`runtime.v1.${service}`);
    const m = svc.methods[method];
    if (!m) throw new Error(`runtime-v1.proto has no ${service}.${method}`);
    const reqType = this.#root.lookupType(`runtime.v1.${m.requestType}`);
    const resType = this.#root.lookupType(`runtime.v1.${m.responseType}`);
    // fromObject takes enum names and decimal strings for int64 but drops unknown fields
    // silently: a misspelt field would quietly not be sent, so refuse those first.
    assertKnownFields(reqType, request, m.requestType);
    const message = reqType.fromObject(request);
    const bad = reqType.verify(message);
    if (bad) throw new Error(`bad ${m.requestType}: ${bad}`);
    return new Promise<T>((resolve, reject) => {
      this.#client.makeUnaryRequest<protobuf.Message, T>(
        `/runtime.v1.${service}/${method}`,
        (v) => Buffer.from(reqType.encode(v).finish()),
        (b) => resType.toObject(resType.decode(b), { longs: String, enums: String, defaults: true }) as T,
        message,
        { deadline: Date.now() + this.#timeoutMs },
        (err, res) => (err ? reject(new CriCallError(method, err)) : resolve(res as T)),
      );
    });
  }

  runtime<T extends Message = Message>(method: string, request: Message = {}): Promise<T> {
    return this.call<T>('RuntimeService', method, request);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const res = await this.runtime<{ status: ContainerStatus }>('ContainerStatus', { containerId: id });
    return res.status;
  }

  close(): void {
    this.#client.close();
  }
}
