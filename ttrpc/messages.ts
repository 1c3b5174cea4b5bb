// ttrpc's envelope messages. ttrpc ships no .proto file, so the types are built here from the
// field numbers of github.com/containerd/ttrpc/types.go (v1.1), with protobufjs reflection.
import protobuf from 'protobufjs';

// Status.details are google.protobuf.Any; protobufjs bundles that definition.
const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/any.proto')!);
root.addJSON({
  nested: {
    ttrpc: {
      nested: {
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Request: {
          fields: {
            service: { type: 'string', id: 1 },
            method: { type: 'string', id: 2 },
            payload: { type: 'bytes', id: 3 },
            timeoutNano: { type: 'int64', id: 4 },
            metadata: { rule: 'repeated', type: 'KeyValue', id: 5 },
          },
        },
        Status: {
          fields: {
            code: { type: 'int32', id: 1 },
            message: { type: 'string', id: 2 },
            details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
          },
        },
        Response: { fields: { status: { type: 'Status', id: 1 }, payload: { type: 'bytes', id: 2 } } },
      },
    },
  },
}.nested);
root.resolveAll();

const RequestType = root.lookupType('ttrpc.Request');
const ResponseType = root.lookupType('ttrpc.Response');

export type Metadata = Record<string, string[]>;

export interface RequestMessage {
  service: string;
  method: string;
  payload: Uint8Array;
  /** 0 means no deadline. */
  timeoutNano: number;
  metadata: Metadata;
}

export interface ResponseMessage {
  status?: { code: number; message: string };
  payload: Uint8Array;
}

export function encodeRequest(req: RequestMessage): Uint8Array {
  const metadata = Object.entries(req.metadata).flatMap(([key, values]) => values.map((value) => ({ key, value })));
  return RequestType.encode(
    RequestType.fromObject({ service: req.service, method: req.method, payload: req.payload, timeoutNano: req.timeoutNano, metadata }),
  ).finish();
}

export function decodeRequest(bytes: Uint8Array): RequestMessage {
  const obj = RequestType.toObject(RequestType.decode(bytes), { longs: Number, defaults: true }) as {
    service: string; method: string; payload: Uint8Array; timeoutNano: number; metadata: { key: string; value: string }[];
  };
  const metadata: Metadata = {};
  for (const { key, value } of obj.metadata) {
    // Keys are the peer's data: "__proto__" or "constructor" must not reach Object.prototype.
    if (Object.hasOwn(metadata, key)) metadata[key]!.push(value);
    else Object.defineProperty(metadata, key, { value: [value], enumerable: true, writable: true, configurable: true });
  }
  return { service: obj.service, method: obj.method, payload: obj.payload, timeoutNano: obj.timeoutNano, metadata };
}

export function encodeResponse(res: ResponseMessage): Uint8Array {
  return ResponseType.encode(ResponseType.fromObject(res)).finish();
}

export function decodeResponse(bytes: Uint8Array): ResponseMessage {
  const obj = ResponseType.toObject(ResponseType.decode(bytes), { defaults: true }) as {
    status?: { code: number; message: string }; payload: Uint8Array;
  };
  return obj.status ? { status: { code: obj.status.code, message: obj.status.message }, payload: obj.payload } : { payload: obj.payload };
}
