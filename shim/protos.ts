// The containerd 1.6 messages the shim reads and writes, from the generated protobufjs JSON
// (proto/containerd.json, rebuilt by proto/generate.ts). The interfaces below name only the
// fields the shim uses, in protobufjs's camelCase; codecs decode with int64 as number and
// bytes as Buffer so handlers never see Long.
import protobuf from 'protobufjs';
import json from './proto/containerd.json' with { type: 'json' };
import { invalidArgument } from './errors.ts';

const root = protobuf.Root.fromJSON(json as protobuf.INamespace);
root.resolveAll();

export interface Codec<T> {
  readonly typeName: string;
  encode(message: Partial<T>): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export function codec<T>(typeName: string): Codec<T> {
  const type = root.lookupType(typeName);
  return {
    typeName,
    encode: (message) => type.encode(type.fromObject(message as Record<string, unknown>)).finish(),
    decode: (bytes) => {
      let message: protobuf.Message;
      try {
        message = type.decode(bytes);
      } catch (error) {
        // A malformed request is the caller's fault (InvalidArgument), not a failure of ours.
        throw invalidArgument(`malformed ${typeName}: ${(error as Error).message}`, error);
      }
      return type.toObject(message, { longs: Number, bytes: Buffer, defaults: true, enums: Number }) as T;
    },
  };
}

/** google.protobuf.Any keeps its snake_case field name in protobufjs. */
export interface Any { type_url: string; value: Uint8Array }
export interface Timestamp { seconds: number; nanos: number }
export interface Mount { type: string; source: string; target: string; options: string[] }

export function timestamp(date: Date): Timestamp {
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** containerd.v1.types.Status */
export const TaskStatus = { Unknown: 0, Created: 1, Running: 2, Stopped: 3, Paused: 4, Pausing: 5 } as const;

export interface CreateTaskRequest {
  id: string; bundle: string; rootfs: Mount[]; terminal: boolean;
  stdin: string; stdout: string; stderr: string; checkpoint: string; parentCheckpoint: string; options: Any | null;
}
export interface CreateTaskResponse { pid: number }
export interface TaskIdRequest { id: string; execId: string }
export interface StartResponse { pid: number }
export interface DeleteResponse { pid: number; exitStatus: number; exitedAt: Timestamp }
export interface StateResponse {
  id: string; bundle: string; pid: number; status: number; stdin: string; stdout: string; stderr: string;
  terminal: boolean; exitStatus: number; exitedAt: Timestamp | null; execId: string;
}
export interface KillRequest { id: string; execId: string; signal: number; all: boolean }
export interface WaitResponse { exitStatus: number; exitedAt: Timestamp }
export interface PidsResponse { processes: { pid: number; info?: Any | null }[] }
export interface CloseIORequest { id: string; execId: string; stdin: boolean }
export interface UpdateTaskRequest { id: string; resources: Any | null; annotations: Record<string, string> }
export interface ResizePtyRequest { id: string; execId: string; width: number; height: number }
export interface StatsResponse { stats: Any | null }
export interface ConnectResponse { shimPid: number; taskPid: number; version: string }
export interface ShutdownRequest { id: string; now: boolean }

export const Task = {
  CreateTaskRequest: codec<CreateTaskRequest>('containerd.task.v2.CreateTaskRequest'),
  CreateTaskResponse: codec<CreateTaskResponse>('containerd.task.v2.CreateTaskResponse'),
  StateRequest: codec<TaskIdRequest>('containerd.task.v2.StateRequest'),
  StateResponse: codec<StateResponse>('containerd.task.v2.StateResponse'),
  StartRequest: codec<TaskIdRequest>('containerd.task.v2.StartRequest'),
  StartResponse: codec<StartResponse>('containerd.task.v2.StartResponse'),
  DeleteRequest: codec<TaskIdRequest>('containerd.task.v2.DeleteRequest'),
  DeleteResponse: codec<DeleteResponse>('containerd.task.v2.DeleteResponse'),
  PidsRequest: codec<{ id: string }>('containerd.task.v2.PidsRequest'),
  PidsResponse: codec<PidsResponse>('containerd.task.v2.PidsResponse'),
  KillRequest: codec<KillRequest>('containerd.task.v2.KillRequest'),
  WaitRequest: codec<TaskIdRequest>('containerd.task.v2.WaitRequest'),
  WaitResponse: codec<WaitResponse>('containerd.task.v2.WaitResponse'),
  CloseIORequest: codec<CloseIORequest>('containerd.task.v2.CloseIORequest'),
  UpdateTaskRequest: codec<UpdateTaskRequest>('containerd.task.v2.UpdateTaskRequest'),
  ResizePtyRequest: codec<ResizePtyRequest>('containerd.task.v2.ResizePtyRequest'),
  StatsRequest: codec<{ id: string }>('containerd.task.v2.StatsRequest'),
  StatsResponse: codec<StatsResponse>('containerd.task.v2.StatsResponse'),
  ConnectRequest: codec<{ id: string }>('containerd.task.v2.ConnectRequest'),
  ConnectResponse: codec<ConnectResponse>('containerd.task.v2.ConnectResponse'),
  ShutdownRequest: codec<ShutdownRequest>('containerd.task.v2.ShutdownRequest'),
  /** Pause, Resume, Checkpoint, Exec requests all start with field 1 `id`. */
  IdOnly: codec<{ id: string }>('containerd.task.v2.PauseRequest'),
  Empty: codec<Record<string, never>>('google.protobuf.Empty'),
};

export const Events = {
  TaskCreate: codec<{ containerId: string; bundle: string; rootfs: Mount[]; io: { stdin: string; stdout: string; stderr: string; terminal: boolean }; checkpoint: string; pid: number }>('containerd.events.TaskCreate'),
  TaskStart: codec<{ containerId: string; pid: number }>('containerd.events.TaskStart'),
  TaskExit: codec<{ containerId: string; id: string; pid: number; exitStatus: number; exitedAt: Timestamp }>('containerd.events.TaskExit'),
  TaskDelete: codec<{ containerId: string; pid: number; exitStatus: number; exitedAt: Timestamp; id: string }>('containerd.events.TaskDelete'),
  TaskOOM: codec<{ containerId: string }>('containerd.events.TaskOOM'),
  ForwardRequest: codec<{ envelope: { timestamp: Timestamp; namespace: string; topic: string; event: Any } }>('containerd.services.events.ttrpc.v1.ForwardRequest'),
};

export interface Descriptor { mediaType: string; digest: string; size: number; annotations: Record<string, string> }

export const Grpc = {
  GetContainerRequest: codec<{ id: string }>('containerd.services.containers.v1.GetContainerRequest'),
  GetContainerResponse: codec<{ container: { id: string; labels: Record<string, string>; image: string; snapshotter: string; snapshotKey: string } }>('containerd.services.containers.v1.GetContainerResponse'),
  GetImageRequest: codec<{ name: string }>('containerd.services.images.v1.GetImageRequest'),
  GetImageResponse: codec<{ image: { name: string; labels: Record<string, string>; target: Descriptor } | null }>('containerd.services.images.v1.GetImageResponse'),
  ReadContentRequest: codec<{ digest: string; offset: number; size: number }>('containerd.services.content.v1.ReadContentRequest'),
  ReadContentResponse: codec<{ offset: number; data: Buffer }>('containerd.services.content.v1.ReadContentResponse'),
};
