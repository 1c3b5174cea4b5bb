// The `callback-wrapper` import module TinyGo guests use (docs/abi.md): wasm_bpf_buffer_poll
// without a table index, whose records go to the guest's exported `go-callback`.
import { BpfError } from '../../bpf/errors.ts';
import { LINUX_ERRNO } from '../../errno.ts';
import type { GuestPtr } from '../guest-memory.ts';
import type { GuestRecordCallback } from '../services/buffer-polling.ts';
import { pollBuffer, type ImportContext } from './import-context.ts';

function goCallback(ctx: ImportContext): GuestRecordCallback {
  return (c, data, size) => {
    const fn = ctx.guest()?.goCallback;
    if (!fn) throw new BpfError('WASMBPF_BAD_CALLBACK', "the module does not export 'go-callback'", LINUX_ERRNO.EINVAL);
    return fn(c, data, size) | 0;
  };
}

export function callbackWrapperImports(ctx: ImportContext) {
  return {
    wasm_bpf_buffer_poll: (obj: bigint, fd: number, cbCtx: GuestPtr, buf: GuestPtr, len: number, timeout: number) => {
      const r = pollBuffer(ctx, obj, fd, goCallback(ctx), cbCtx, buf, len, timeout);
      return r < 0 ? r : 0;
    },
  };
}
