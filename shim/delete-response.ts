// containerd.task.v2.DeleteResponse, encoded by hand for `delete`. containerd 1.6 runs
// `containerd-shim-wasmbpf-v1 ... delete` after every task's Delete (its ttrpc client's
// on-close hook, also on a clean shutdown) and waits for it, so `ctr task delete` waits for a
// whole process start: loading protobufjs and containerd's schema for this one three-field
// message was about a third of that. test/unit/shim-delete-response.test.ts checks the bytes
// against the generated codec.
//
//   message DeleteResponse { uint32 pid = 1; uint32 exit_status = 2; google.protobuf.Timestamp exited_at = 3; }
//   message Timestamp { int64 seconds = 1; int32 nanos = 2; }

function varint(value: number): number[] {
  const out: number[] = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** A varint field (wire type 0); proto3 leaves out zero values. */
function field(number: number, value: number): number[] {
  return value === 0 ? [] : [(number << 3) | 0, ...varint(value)];
}

export function encodeDeleteResponse(pid: number, exitStatus: number, exitedAt: Date): Uint8Array {
  const ms = exitedAt.getTime();
  const timestamp = [...field(1, Math.floor(ms / 1000)), ...field(2, (ms % 1000) * 1e6)];
  // exited_at is non-nullable in containerd's gogoproto: always present, even when empty.
  return Uint8Array.from([...field(1, pid), ...field(2, exitStatus), (3 << 3) | 2, ...varint(timestamp.length), ...timestamp]);
}
