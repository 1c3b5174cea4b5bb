// containerd-shim-wasmbpf-v1: the runtime io.containerd.wasmbpf.v1 for containerd (shim API v2).
import { runShim } from './cli.ts';

const code = await runShim(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
