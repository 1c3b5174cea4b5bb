// The `wasm_bpf` import module, byte-compatible with wasm-bpf (docs/abi.md): each import reads
// its arguments from guest memory, calls the host services, and answers a negative errno in the
// guest's numbering on failure (import-errors.ts).
import { BpfError } from '../../bpf/errors.ts';
import { guestErrno, LINUX_ERRNO } from '../../errno.ts';
import type { GuestPtr } from '../guest-memory.ts';
import { attachChecked } from './attach.ts';
import { compatAttachRequest } from './attach-kinds.ts';
import { openObject, pollBuffer, tableCallback, type ImportContext } from './import-context.ts';

const { EOPNOTSUPP, ENOENT } = LINUX_ERRNO;
const GUEST_ENOENT = guestErrno(ENOENT);

export function wasmBpfImports(ctx: ImportContext) {
  const { errors, objects, maps } = ctx;
  return {
    wasm_load_bpf_object: (buf: GuestPtr, len: number) => openObject(ctx, buf, len, true),
    wasm_attach_bpf_program: (obj: bigint, name: GuestPtr, target: GuestPtr) => errors.guard('attach', () => {
      const object = objects.get(obj);
      const prog = ctx.memory().cString(name, 256);
      const t = ctx.memory().optionalCString(target);
      const section = object.sectionOf(prog);
      try {
        attachChecked(ctx.policy, object, prog, compatAttachRequest(section, t), () => section);
      } catch (err) {
        // Skeletons auto-attach every program and skip those libbpf cannot auto-attach (xdp,
        // tc, socket filters) on EOPNOTSUPP, as libbpf's own skeleton does: no stderr noise.
        if (!t && err instanceof BpfError && err.errno === EOPNOTSUPP) return errors.quiet(err);
        throw err;
      }
      ctx.onAttached();
      return 0;
    }),
    wasm_bpf_buffer_poll: (obj: bigint, fd: number, sampleFn: number, cbCtx: GuestPtr, buf: GuestPtr, len: number, timeout: number) => {
      const r = pollBuffer(ctx, obj, fd, tableCallback(ctx, sampleFn), cbCtx, buf, len, timeout);
      return r < 0 ? r : 0;
    },
    wasm_bpf_map_fd_by_name: (obj: bigint, name: GuestPtr) => errors.guard('map_fd_by_name', () => {
      const mapName = ctx.memory().cString(name, 256);
      return maps.fdByName(objects.get(obj), mapName);
    }),
    // The hottest import: no closure per call, unlike guard().
    wasm_bpf_map_operate: (fd: number, cmd: number, key: GuestPtr, value: GuestPtr, nextKey: GuestPtr, flags: bigint) => {
      try {
        const r = maps.operate(fd, cmd, key, value, nextKey, flags);
        // Missing keys are normal map traffic (ENOENT ends an iteration): no stderr noise for them.
        return r < 0 ? GUEST_ENOENT : r;
      } catch (err) {
        return errors.fail('map_operate', err);
      }
    },
    wasm_close_bpf_object: (obj: bigint) => errors.guard('close', () => {
      objects.close(obj);
      return 0;
    }),
  };
}
