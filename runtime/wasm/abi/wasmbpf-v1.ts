// The `wasmbpf_v1` import module, our extensions for what wasm_bpf cannot express (docs/abi.md):
// open without loading, autoload, attach with explicit options, raw sockets, globals, the last
// error's text, and a poll that returns the number of records delivered.
import { guestErrno, LINUX_ERRNO } from '../../errno.ts';
import { checkRawSocket } from '../../policy.ts';
import type { GuestPtr } from '../guest-memory.ts';
import { attachChecked } from './attach.ts';
import { decodeAttachOptions } from './attach-options.ts';
import { openObject, pollBuffer, tableCallback, type ImportContext } from './import-context.ts';

export function wasmbpfV1Imports(ctx: ImportContext) {
  const { errors, objects } = ctx;
  return {
    open_object: (buf: GuestPtr, len: number) => openObject(ctx, buf, len, false),
    set_autoload: (obj: bigint, prog: GuestPtr, on: number) => errors.guard('set_autoload', () => {
      objects.get(obj).setAutoload(ctx.memory().cString(prog, 256), on !== 0);
      return 0;
    }),
    load_object: (obj: bigint) => errors.guard('load_object', () => {
      objects.load(objects.get(obj));
      return 0;
    }),
    attach: (obj: bigint, prog: GuestPtr, opts: GuestPtr, optsLen: number) => errors.guard('attach', () => {
      const object = objects.get(obj);
      const name = ctx.memory().cString(prog, 256);
      const request = decodeAttachOptions(ctx.memory(), opts, optsLen, ctx.fds);
      attachChecked(ctx.policy, object, name, request, () => object.sectionOf(name));
      ctx.onAttached();
      return 0;
    }),
    open_raw_socket: (ifname: GuestPtr) => errors.guard('open_raw_socket', () => {
      checkRawSocket(ctx.policy);
      return ctx.sockets.openRaw(ctx.memory().cString(ifname, 64));
    }),
    num_possible_cpus: () => ctx.possibleCpus,
    global_data: (obj: bigint, section: GuestPtr, buf: GuestPtr, len: number, write: number) => errors.guard('global_data', () => {
      const object = objects.get(obj);
      const name = ctx.memory().cString(section, 64);
      return ctx.maps.globalData(object, name, len, (n) => ctx.memory().bytes(buf, n), write !== 0);
    }),
    last_error: (buf: GuestPtr, len: number) => {
      const text = Buffer.from(errors.lastError);
      try {
        if (len > 0) {
          const n = Math.min(text.length, len - 1);
          const out = ctx.memory().bytes(buf, n + 1);
          out.set(text.subarray(0, n));
          out[n] = 0;
        }
      } catch {
        return guestErrno(LINUX_ERRNO.EFAULT);
      }
      return text.length;
    },
    buffer_poll: (obj: bigint, fd: number, sampleFn: number, cbCtx: GuestPtr, buf: GuestPtr, len: number, timeout: number) =>
      pollBuffer(ctx, obj, fd, tableCallback(ctx, sampleFn), cbCtx, buf, len, timeout),
  };
}
